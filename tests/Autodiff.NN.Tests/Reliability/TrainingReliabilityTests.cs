using Autodiff.NN.Optim;

namespace Autodiff.NN.Tests.Reliability;

/// <summary>Anomaly mode, concurrency and the version counter in whole training loops of Autodiff.NN.</summary>
[TestFixture]
public sealed class TrainingReliabilityTests
{
    /// <summary>A seeded two-layer network trained for a few steps on its own tape; returns the final weights.</summary>
    private static float[] Train(int seed, int steps = 20)
    {
        var model = new Sequential(new Linear(8, 16, seed: seed), new ReLU(), new Linear(16, 4, seed: seed + 1));
        var optimiser = new Adam(model.Parameters(), learningRate: 1e-2);
        Tensor<float> x = Tensor.RandomNormal<float>([32, 8], seed + 2);
        int[] labels = [.. Enumerable.Range(0, 32).Select(i => (i * 7 + seed) % 4)];
        using var tape = new Tape();
        for (int step = 0; step < steps; step++)
        {
            tape.Reset();
            optimiser.ZeroGrad();
            Functional.CrossEntropy(model.Forward(x), labels).Backward();
            optimiser.Step();
        }

        return [.. model.Parameters().SelectMany(p => p.ToArray())];
    }

    [Test]
    public async Task Eight_models_trained_concurrently_on_their_own_tapes_match_sequential_training_exactly()
    {
        float[][] sequential = [.. Enumerable.Range(0, 8).Select(i => Train(i))];
        float[][] concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Train(i))));
        for (int i = 0; i < 8; i++)
        {
            Assert.That(concurrent[i], Is.EqualTo(sequential[i]), $"model {i}");
        }
    }

    [Test]
    public void A_diverging_training_loop_in_anomaly_mode_stops_at_the_first_non_finite_op()
    {
        var model = new Linear(4, 1, seed: 3);
        var sgd = new SGD(model.Parameters(), learningRate: 1e6); // diverges within a few steps
        Tensor<float> x = Tensor.RandomNormal<float>([16, 4], 4, std: 10);
        Tensor<float> y = Tensor.RandomNormal<float>([16, 1], 5);
        using var tape = new Tape { DetectAnomalies = true };
        var ex = Assert.Throws<AnomalyException>(() =>
        {
            for (int step = 0; step < 100; step++)
            {
                tape.Reset();
                sgd.ZeroGrad();
                Functional.MSELoss(model.Forward(x), y).Backward();
                sgd.Step();
            }
        });
        Assert.That(ex!.Message, Does.Contain("produced").And.Contain("inputs ("));
        Assert.That(ex.File, Is.Not.Null, "the op that overflowed says where it was recorded");
        TestContext.Out.WriteLine(ex.Message);
    }

    [Test]
    public void Stepping_the_optimiser_between_forward_and_backward_is_caught()
    {
        var model = new Linear(3, 2, seed: 1);
        var sgd = new SGD(model.Parameters(), learningRate: 0.1);
        Tensor<float> x = Tensor.RandomNormal<float>([4, 3], 2);
        using var tape = new Tape();
        Tensor<float> first = Functional.CrossEntropy(model.Forward(x), [0, 1, 0, 1]);
        first.Backward();
        Tensor<float> second = Functional.CrossEntropy(model.Forward(x), [0, 1, 0, 1]);
        sgd.Step(); // changes the weights that the second forward pass saved
        var ex = Assert.Throws<InvalidOperationException>(() => second.Backward());
        Assert.That(ex!.Message, Does.Contain("'Linear'").And.Contain("changed in place"));
    }
}
