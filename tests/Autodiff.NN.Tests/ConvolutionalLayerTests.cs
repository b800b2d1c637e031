using Autodiff.NN.Optim;
using Autodiff.NN.Serialization;
using FsCheck.Fluent;
using static Autodiff.NN.Tests.TestSupport;
using static Autodiff.Testing.Generators;

namespace Autodiff.NN.Tests;

/// <summary>Conv2d, pooling, Flatten and batch-norm layers: shapes, parameters, buffers, train/eval, gradients, training.</summary>
[TestFixture]
public sealed class ConvolutionalLayerTests
{
    [Test]
    public void Conv2d_has_PyTorch_shapes_names_and_initial_bounds()
    {
        var conv = new Conv2d(3, 8, kernelSize: 5, stride: 2, padding: 2, seed: 1);
        Assert.That(conv.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
        Assert.That(conv.Weight.ShapeArray(), Is.EqualTo(new[] { 8, 3, 5, 5 }));
        float bound = 1 / MathF.Sqrt(3 * 5 * 5);
        Assert.That(conv.Weight.ToArray(), Is.All.InRange(-bound, bound));
        Assert.That(conv.Bias!.ToArray(), Is.All.InRange(-bound, bound));
        Assert.That(conv.Weight.ToArray().Max() - conv.Weight.ToArray().Min(), Is.GreaterThan(bound), "spread over the range");
        Assert.That(conv.Forward(Tensor.Zeros<float>(2, 3, 28, 28)).ShapeArray(), Is.EqualTo(new[] { 2, 8, 14, 14 }));
        Assert.That(new Conv2d(3, 8, 3, bias: false).NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
    }

    [Test]
    public void Functional_forms_pass_gradient_checks_in_double()
    {
        var cases = from c in Gen.Choose(1, 2)
                    from stride in Gen.Choose(1, 2)
                    from padding in Gen.Choose(0, 1)
                    from x in TensorOf([2, c, 5, 4], Uniform(-1, 1))
                    from w in TensorOf([3, c, 2, 2], Uniform(-1, 1))
                    from scale in TensorOf([3], AwayFromZero(0.5, 2))
                    select (x, w, scale, stride, padding);
        AssertGradientsForAll(cases, c => [c.x, c.w, c.scale], c => t =>
            Functional.Flatten(Functional.MaxPool2d(Functional.BatchNorm(Functional.Conv2d(t[0], t[1], null, c.stride, c.padding), null, null, t[2], null, training: true), 2, stride: 1))
                .Add(Functional.Flatten(Functional.AvgPool2d(t[0], 2, 1, 1)).Sum(1, keepDim: true)),
            maxTest: 20);
    }

    [Test]
    public void BatchNorm2d_updates_its_running_statistics_in_training_and_uses_them_in_evaluation()
    {
        var bn = new BatchNorm2d(2, momentum: 0.5);
        // Channel 0 of both images: 0, 2, 4, 6 (mean 3, biased variance 5, unbiased 20/3); channel 1: all 1.
        Tensor<float> x = Floats([0, 2, 1, 1, 4, 6, 1, 1], 2, 2, 1, 2);
        Tensor<float> y = bn.Forward(x);
        Assert.That(y[0, 0, 0, 0], Is.EqualTo(-3 / MathF.Sqrt(5 + 1e-5f)).Within(1e-5));
        Assert.That(y[0, 1, 0, 0], Is.EqualTo(0f), "a constant channel normalises to 0");
        Assert.That(bn.RunningMean!.ToArray(), Is.EqualTo(new[] { 1.5f, 0.5f }).Within(1e-6));
        Assert.That(bn.RunningVar!.ToArray(), Is.EqualTo(new[] { (0.5f * 1) + (0.5f * 20 / 3f), 0.5f }).Within(1e-5));

        bn.Eval();
        Tensor<float> z = bn.Forward(x);
        Assert.That(z[0, 0, 0, 1], Is.EqualTo((2 - 1.5f) / MathF.Sqrt(bn.RunningVar[0] + 1e-5f)).Within(1e-5));
        Assert.That(bn.RunningMean.ToArray(), Is.EqualTo(new[] { 1.5f, 0.5f }).Within(1e-6), "evaluation leaves the statistics alone");
    }

    [Test]
    public void BatchNorm1d_normalises_features_over_the_batch_and_its_eval_mode_is_the_affine_map_of_the_running_statistics()
    {
        var bn = new BatchNorm1d(2, momentum: 1.0); // momentum 1: the running statistics become the last batch's
        new float[] { 2, 3 }.CopyTo(bn.Weight!.MutableSpan());
        new float[] { 0.5f, -1 }.CopyTo(bn.Bias!.MutableSpan());
        Tensor<float> x = Floats([1, 10, 3, 20, 5, 30], 3, 2); // feature 0: 1, 3, 5 (mean 3, var 8/3, unbiased 4)
        Tensor<float> y = bn.Forward(x);
        Assert.That(y[0, 0], Is.EqualTo((2 * (1 - 3) / MathF.Sqrt((8 / 3f) + 1e-5f)) + 0.5f).Within(1e-5));
        Assert.That(bn.RunningMean!.ToArray(), Is.EqualTo(new[] { 3f, 20 }).Within(1e-5));
        Assert.That(bn.RunningVar!.ToArray(), Is.EqualTo(new[] { 4f, 100 }).Within(1e-4));

        bn.Eval();
        Tensor<float> z = bn.Forward(Floats([7, 20], 1, 2)); // a batch of one is fine in evaluation
        Assert.That(z.ToArray(), Is.EqualTo(new[] { (2 * (7 - 3) / MathF.Sqrt(4 + 1e-5f)) + 0.5f, -1f }).Within(1e-5));
        bn.Train();
        Assert.That(Assert.Throws<ArgumentException>(() => bn.Forward(Floats([7, 20], 1, 2)))!.Message, Does.Contain("more than one value per channel"));
    }

    [Test]
    public void Running_statistics_are_buffers_in_the_state_dict_and_survive_a_safetensors_round_trip()
    {
        var model = new Sequential(new Conv2d(1, 2, 3, seed: 1), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3, seed: 2), new BatchNorm1d(3));
        model.Forward(Tensor.RandomNormal<float>([4, 1, 6, 6], seed: 3));
        Assert.That(model.NamedParameters().Select(p => p.Name), Has.No.Member("1.running_mean"));
        Assert.That(model.NamedBuffers().Select(b => b.Name), Is.EqualTo(new[] { "1.running_mean", "1.running_var", "1.num_batches_tracked", "5.running_mean", "5.running_var", "5.num_batches_tracked" }));
        var state = model.StateDict();
        Assert.That(state.Keys, Has.Member("1.running_var").And.Member("5.running_mean").And.Member("0.weight"));

        using var stream = new MemoryStream();
        SafeTensors.Save(stream, state);
        stream.Position = 0;
        var other = new Sequential(new Conv2d(1, 2, 3, seed: 9), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3, seed: 9), new BatchNorm1d(3));
        other.LoadStateDict(SafeTensors.Load(stream));
        Assert.That(((BatchNorm)other[1]).RunningVar!.ToArray(), Is.EqualTo(((BatchNorm)model[1]).RunningVar!.ToArray()));
        model.Eval();
        other.Eval();
        Tensor<float> probe = Tensor.RandomNormal<float>([2, 1, 6, 6], seed: 4);
        Assert.That(other.Forward(probe).ToArray(), Is.EqualTo(model.Forward(probe).ToArray()));
    }

    [Test]
    public void Layers_reject_inputs_of_the_wrong_shape_with_a_message()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(Tensor.Zeros<float>(2, 3)))!.Message, Does.Contain("BatchNorm2d").And.Contain("[2, 3]"));
        Assert.That(Assert.Throws<ArgumentException>(() => new BatchNorm1d(4).Forward(Tensor.Zeros<float>(2, 3)))!.Message, Does.Contain("3 channels"));
        Assert.That(Assert.Throws<ArgumentException>(() => new Conv2d(2, 4, 3).Forward(Tensor.Zeros<float>(1, 3, 8, 8)))!.Message, Does.Contain("Conv2d").And.Contain("[1, 3, 8, 8]"));
    }

    [Test]
    public void A_small_CNN_learns_to_tell_horizontal_from_vertical_bars()
    {
        // 32 8×8 images, each with one bright bar (row or column) at a random place, plus noise.
        var random = new Random(5);
        int n = 32;
        float[] pixels = new float[n * 64];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i % 2;
            int at = random.Next(8);
            for (int k = 0; k < 8; k++)
            {
                pixels[(i * 64) + (labels[i] == 0 ? (at * 8) + k : (k * 8) + at)] = 1;
            }

            for (int k = 0; k < 64; k++)
            {
                pixels[(i * 64) + k] += (float)(random.NextDouble() * 0.3);
            }
        }

        Tensor<float> x = Floats(pixels, n, 1, 8, 8);
        var model = new Sequential(
            new Conv2d(1, 4, 3, padding: 1, seed: 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
            new Conv2d(4, 4, 3, padding: 1, seed: 2), new ReLU(), new AvgPool2d(2), new Flatten(), new Linear(4 * 2 * 2, 2, seed: 3));
        var optimizer = new Adam(model.Parameters(), learningRate: 0.02);
        float first = 0, last = 0;
        using var tape = new Tape();
        for (int step = 0; step < 60; step++)
        {
            tape.Reset();
            optimizer.ZeroGrad();
            Tensor<float> loss = Functional.CrossEntropy(model.Forward(x), labels);
            loss.Backward();
            optimizer.Step();
            last = loss.Item();
            first = step == 0 ? last : first;
        }

        model.Eval();
        int[] predicted = model.Forward(x).ArgMax(-1);
        Assert.That(last, Is.LessThan(first * 0.2f), $"loss {first} → {last}");
        Assert.That(predicted, Is.EqualTo(labels));
    }
}
