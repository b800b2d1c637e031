namespace Autodiff.Tests.Kernels;

/// <summary>
/// Products large enough for one band of rows per thread (see Kernels/GemmRowBands.cs) give the same numbers on
/// two threads as on one, through every op that uses them, forwards and backwards.
/// </summary>
public sealed class GemmRowBandTests
{
    private static (float[] Value, float[][] Grads) Run(int threads, Func<Tensor<float>[], Tensor<float>> f, Tensor<float>[] inputs)
    {
        int previous = Parallelism.MaxThreads;
        Parallelism.MaxThreads = threads;
        try
        {
            using var tape = new Tape();
            Tensor<float>[] xs = inputs.Select(x => x.Detach().RequiresGrad()).ToArray();
            Tensor<float> y = f(xs);
            Tensor<float>[] grads = tape.Gradient(y.Sum(), xs);
            return (y.ToArray(), grads.Select(g => g.ToArray()).ToArray());
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }

    [TestCase(100, 96, 200)]   // two bands of unequal size
    [TestCase(64, 128, 784)]   // the first layer of the training benchmark at batch 64
    [TestCase(51, 64, 300)]    // a remainder band that is not a whole number of micro-tiles
    public void Two_threads_give_the_one_thread_result(int m, int n, int k)
    {
        Tensor<float> x = Tensor.RandomUniform<float>([m, k], seed: 1, low: -1, high: 1);
        Tensor<float> w = Tensor.RandomUniform<float>([n, k], seed: 2, low: -1, high: 1);
        Tensor<float> b = Tensor.RandomUniform<float>([n], seed: 3, low: -1, high: 1);
        Tensor<float> batch = Tensor.RandomUniform<float>([2, m, k], seed: 4, low: -1, high: 1);
        Func<Tensor<float>[], Tensor<float>>[] ops =
        [
            t => Tensor.Linear(t[0], t[1], t[2]).Tanh(),
            t => t[0].MatMulTransposed(t[1]).Tanh(),
            t => t[0].MatMul(t[1].Transpose()).Tanh(),
            t => t[3].MatMul(t[1].Transpose()).Tanh(),
        ];
        foreach (var op in ops)
        {
            (float[] one, float[][] oneGrads) = Run(1, op, [x, w, b, batch]);
            (float[] two, float[][] twoGrads) = Run(2, op, [x, w, b, batch]);
            Assert.That(two, Is.EqualTo(one).Within(1e-5f));
            for (int i = 0; i < oneGrads.Length; i++)
            {
                Assert.That(twoGrads[i], Is.EqualTo(oneGrads[i]).Within(1e-3f), $"gradient {i}");
            }
        }

        // And both against a product in double.
        double[] xs = x.ToArray().Select(v => (double)v).ToArray(), ws = w.ToArray().Select(v => (double)v).ToArray();
        (float[] value, _) = Run(2, t => t[0].MatMulTransposed(t[1]), [x, w]);
        for (int i = 0; i < m; i += 7)
        {
            for (int j = 0; j < n; j += 5)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += xs[(i * k) + p] * ws[(j * k) + p];
                }

                Assert.That(value[(i * n) + j], Is.EqualTo(sum).Within(1e-4 * k), $"C[{i},{j}]");
            }
        }
    }
}
