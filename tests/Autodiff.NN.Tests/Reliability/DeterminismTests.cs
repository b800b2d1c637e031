using Autodiff.NN.Optim;

namespace Autodiff.NN.Tests.Reliability;

/// <summary>
/// Same seeds, same bits: a training run repeated in one process gives bit-identical weights, on one thread and on
/// several — whatever the worker threads' timing. The model is examples/FashionMnistCnn's, whose 3136→128 layer is a
/// product large enough for the threaded GEMM driver, where a bias used to be added in an order that depended on
/// which thread computed which band (the example's loss differed from run to run in the fourth digit).
/// </summary>
[TestFixture]
public sealed class DeterminismTests
{
    private static float[] Train(int threads)
    {
        int saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = threads;
        try
        {
            var model = new Sequential(
                new Conv2d(1, 32, kernelSize: 3, padding: 1, seed: 1), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, kernelSize: 3, padding: 1, seed: 2), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(64 * 7 * 7, 128, seed: 3), new ReLU(), new Dropout(0.3, seed: 4), new Linear(128, 10, seed: 5));
            var optimizer = new Adam(model.Parameters(), learningRate: 1e-3);
            using var tape = new Tape();
            for (int step = 0; step < 6; step++)
            {
                tape.Reset();
                Tensor<float> x = Tensor.RandomNormal<float>([64, 1, 28, 28], seed: 100 + step);
                int[] y = [.. Enumerable.Range(0, 64).Select(i => (i * 7 + step) % 10)];
                Tensor<float> loss = Functional.CrossEntropy(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
            }

            return [.. model.Parameters().SelectMany(p => p.ToArray())];
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    public void A_CNN_training_run_repeats_bit_for_bit(int threads)
    {
        float[] first = Train(threads);
        for (int run = 0; run < 3; run++)
        {
            float[] again = Train(threads);
            int differing = first.Zip(again).Count(p => BitConverter.SingleToInt32Bits(p.First) != BitConverter.SingleToInt32Bits(p.Second));
            Assert.That(differing, Is.Zero, $"run {run + 2} on {threads} thread(s): {differing} of {first.Length} weights differ from the first run");
        }
    }
}
