namespace Autodiff.Tests.Kernels;

/// <summary>
/// The threaded GEMM gives the same bits on every call, whichever thread computes which band: an accumulating product
/// (a Linear layer's bias first, then x·Wᵀ added) used to round the caller's bands pass by pass into C and the
/// helpers' bands whole, so that the result changed with the threads' timing (60 of 60 repeats differed).
/// </summary>
[TestFixture]
public sealed class GemmDeterminismTests
{
    [Test]
    public void An_accumulating_product_on_two_threads_repeats_bit_for_bit()
    {
        int saved = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 2;
        try
        {
            // 3136·128 elements of op(B) are beyond the row-band path: the shared-packing driver runs, helpers and all.
            Tensor<float> x = Tensor.RandomNormal<float>([64, 3136], 7), w = Tensor.RandomNormal<float>([128, 3136], 8), b = Tensor.RandomNormal<float>([128], 9);
            int[] first = Bits(Tensor.Linear(x, w, b));
            for (int run = 0; run < 30; run++)
            {
                Assert.That(Bits(Tensor.Linear(x, w, b)), Is.EqualTo(first), $"repeat {run + 1}");
            }
        }
        finally
        {
            Parallelism.MaxThreads = saved;
        }
    }

    private static int[] Bits(Tensor<float> t) => [.. t.ToArray().Select(BitConverter.SingleToInt32Bits)];
}
