using Autodiff.NN.Optim;

namespace Autodiff.NN.Tests;

/// <summary>
/// End to end: layers, losses, tape, optimisers and schedules together reduce the loss of tiny models on toy
/// data. The bounds are the measured final losses with a wide margin; everything is seeded, so runs repeat.
/// </summary>
[TestFixture]
public sealed class TrainingTests
{
    /// <summary>Points of N(0, 1)², labelled by the side of the line x + 2y = 0.5 they lie on, at least 0.2 from it.</summary>
    private static (Tensor<float> X, float[] Labels) LinearlySeparable(int n, int seed)
    {
        var random = new Random(seed);
        var x = new List<float>();
        var labels = new List<float>();
        while (labels.Count < n)
        {
            float a = (float)((random.NextDouble() * 4) - 2), b = (float)((random.NextDouble() * 4) - 2);
            float side = (a + (2 * b) - 0.5f) / MathF.Sqrt(5);
            if (MathF.Abs(side) >= 0.2f)
            {
                x.AddRange([a, b]);
                labels.Add(side > 0 ? 1 : 0);
            }
        }

        return (Tensor.FromArray<float>(x.ToArray(), n, 2), labels.ToArray());
    }

    private static float Accuracy(Tensor<float> logits, float[] labels)
        => logits.ToArray().Select((z, i) => (z > 0 ? 1f : 0f) == labels[i]).Count(ok => ok) / (float)labels.Length;

    [Test]
    public void SGD_on_a_linear_classifier_separates_a_linearly_separable_set()
    {
        (Tensor<float> x, float[] labels) = LinearlySeparable(64, seed: 1);
        Tensor<float> y = Tensor.FromArray<float>(labels, 64, 1);
        var model = new Linear(2, 1, seed: 2);
        var sgd = new SGD(model.Parameters(), learningRate: 0.5, momentum: 0.9);

        float first = 0, last = 0;
        for (int epoch = 0; epoch < 200; epoch++)
        {
            using var tape = new Tape();
            Tensor<float> loss = Functional.BCEWithLogits(model.Forward(x), y);
            loss.Backward();
            sgd.Step();
            sgd.ZeroGrad();
            first = epoch == 0 ? loss.Item() : first;
            last = loss.Item();
        }

        TestContext.Out.WriteLine($"BCE with logits: {first} → {last}");
        Assert.That(first, Is.GreaterThan(0.3f));
        Assert.That(last, Is.LessThan(0.02f));                           // measured 0.0025
        Assert.That(Accuracy(model.Forward(x), labels), Is.EqualTo(1f));
    }

    [Test]
    public void Adam_with_a_schedule_and_clipping_fits_xor_with_a_small_mlp()
    {
        // Four clusters at the corners of a square, labelled by XOR: not linearly separable, so the hidden layer is needed.
        Tensor<float> noise = Tensor.RandomNormal<float>([32, 2], seed: 3, std: 0.1);
        var points = new float[64];
        var labels = new int[32];
        for (int i = 0; i < 32; i++)
        {
            int a = i % 2, b = (i / 2) % 2;
            points[2 * i] = a + noise[i, 0];
            points[(2 * i) + 1] = b + noise[i, 1];
            labels[i] = a ^ b;
        }

        Tensor<float> x = Tensor.FromArray<float>(points, 32, 2);
        var model = new Sequential(new Linear(2, 16, seed: 4), new Tanh(), new Dropout(0.1, seed: 5), new Linear(16, 2, seed: 6));
        var adam = new Adam(model.Parameters(), learningRate: 0.05);
        var schedule = new CosineAnnealingLR(adam, tMax: 300, etaMin: 0.001);

        float first = 0;
        for (int epoch = 0; epoch < 300; epoch++)
        {
            using var tape = new Tape();
            Tensor<float> loss = Functional.CrossEntropy(model.Forward(x), labels);
            loss.Backward();
            ClipGrad.ClipGradNorm(model.Parameters(), maxNorm: 5);
            adam.Step();
            adam.ZeroGrad();
            schedule.Step();
            first = epoch == 0 ? loss.Item() : first;
        }

        model.Eval();
        Tensor<float> logits = model.Forward(x);
        float last = Functional.CrossEntropy(logits, labels).Item();
        TestContext.Out.WriteLine($"cross-entropy: {first} → {last}");
        Assert.That(first, Is.GreaterThan(0.6f));
        Assert.That(last, Is.LessThan(0.01f));                           // measured 0.0003
        Assert.That(logits.ArgMax(), Is.EqualTo(labels));
    }
}
