using Autodiff.Kernels;

namespace Autodiff.Tests.Kernels;

/// <summary>
/// <see cref="Gemm"/> against a naive triple loop in double precision, over shapes chosen to land on and just
/// off every tile and block boundary of every micro-kernel, all four transpose combinations, overwrite and
/// accumulate, one and two threads; plus the empty products and the argument checks.
/// </summary>
[TestFixture]
public sealed class GemmTests
{
    // Rounding in a float dot product of k terms is at most about k·2^-24 (6e-8 k) of the sum of |a||b|, and
    // typically √k times that; 1e-4 leaves room for k up to ~1,600 in the worst case. A wrong index or a lost
    // block is off by a whole term, orders of magnitude more.
    private const double SingleTolerance = 1e-4;

    // The same bound in double: k·2^-53 = 6e-14 for k = 600.
    private const double DoubleTolerance = 1e-12;

    /// <summary>
    /// (m, n, k): ones and primes; one below, at and above the register tiles (6×16 and 8×32 vectors, 4×4
    /// scalars); just past the depth of a pass (Kc = 192, 256, 384) and past the row blocks (Mc = 64, 72, 96,
    /// 144); the network's shapes; and products big enough to be shared by two threads, cut along m (m ≥ n)
    /// and along n.
    /// </summary>
    private static readonly (int M, int N, int K)[] s_shapes =
    [
        (1, 1, 1),
        (7, 13, 5),
        (2, 3, 4),
        (5, 15, 3),
        (6, 16, 8),
        (7, 17, 9),
        (8, 32, 2),
        (9, 33, 7),
        (11, 40, 193),
        (13, 47, 257),
        (65, 5, 11),
        (73, 20, 10),
        (97, 18, 20),
        (145, 40, 30),
        (64, 10, 128),
        (1, 300, 40),
        (300, 1, 40),
        (130, 129, 300),
        (100, 7, 600),
        (64, 300, 100),
        (300, 64, 100),
        (150, 170, 401),
    ];

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach ((int m, int n, int k) in s_shapes)
        {
            foreach (bool transposeA in new[] { false, true })
            {
                foreach (bool transposeB in new[] { false, true })
                {
                    yield return new TestCaseData(m, n, k, transposeA, transposeB)
                        .SetArgDisplayNames($"{m}x{k}·{k}x{n}", transposeA ? "Aᵀ" : "A", transposeB ? "Bᵀ" : "B");
                }
            }
        }
    }

    private static IEnumerable<TestCaseData> KernelCases()
    {
        foreach (GemmPath path in new[] { GemmPath.Vector512, GemmPath.Vector256, GemmPath.Scalar })
        {
            foreach ((int m, int n, int k) in new[] { (7, 13, 5), (9, 33, 7), (13, 47, 257), (145, 40, 30), (70, 129, 300) })
            {
                foreach (bool transposeA in new[] { false, true })
                {
                    foreach (bool transposeB in new[] { false, true })
                    {
                        yield return new TestCaseData(path.ToString(), m, n, k, transposeA, transposeB)
                            .SetArgDisplayNames(path.ToString(), $"{m}x{k}·{k}x{n}", transposeA ? "Aᵀ" : "A", transposeB ? "Bᵀ" : "B");
                    }
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Single_precision_matches_the_naive_product(
        int m, int n, int k, bool transposeA, bool transposeB)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                CheckSingle(GemmPath.Auto, m, n, k, transposeA, transposeB, accumulate, threads);
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Double_precision_matches_the_naive_product(
        int m, int n, int k, bool transposeA, bool transposeB)
    {
        foreach (bool accumulate in new[] { false, true })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                CheckDouble(GemmPath.Auto, m, n, k, transposeA, transposeB, accumulate, threads);
            }
        }
    }

    /// <summary>
    /// Each micro-kernel, whatever this machine has: a Vector512 kernel still computes correctly where
    /// AVX-512 is missing (as two halves), only slowly.
    /// </summary>
    [TestCaseSource(nameof(KernelCases))]
    public void Every_kernel_matches_the_naive_product(
        string kernel, int m, int n, int k, bool transposeA, bool transposeB)
    {
        // The path travels as its name: GemmPath is internal, and test methods must be public.
        GemmPath path = Enum.Parse<GemmPath>(kernel);
        foreach (bool accumulate in new[] { false, true })
        {
            CheckSingle(path, m, n, k, transposeA, transposeB, accumulate, threads: 2);
            CheckDouble(path, m, n, k, transposeA, transposeB, accumulate, threads: 1);
        }
    }

    [TestCase(130, 129, 300, false, false)]
    [TestCase(64, 300, 100, true, true)]
    [TestCase(150, 170, 401, false, true)]
    public void Two_threads_give_the_same_bits_as_one(int m, int n, int k, bool transposeA, bool transposeB)
    {
        // Each element is summed in the same order whichever thread computes it.
        var random = new Random(m + n + k);
        float[] a = RandomSingles(random, m * k);
        float[] b = RandomSingles(random, k * n);
        float[] one = new float[m * n];
        float[] two = new float[m * n];

        Gemm.Multiply(a, transposeA, b, transposeB, one, m, n, k, maxThreads: 1);
        Gemm.Multiply(a, transposeA, b, transposeB, two, m, n, k, maxThreads: 2);

        Assert.That(two, Is.EqualTo(one));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Empty_sum_gives_zero_or_leaves_c_unchanged(bool accumulate)
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        double[] cd = [1, 2, 3, 4, 5, 6];

        Gemm.Multiply(ReadOnlySpan<float>.Empty, false, ReadOnlySpan<float>.Empty, false, c, 2, 3, 0, accumulate);
        Gemm.Multiply(ReadOnlySpan<double>.Empty, true, ReadOnlySpan<double>.Empty, true, cd, 2, 3, 0, accumulate, 2);

        float[] expected = accumulate ? [1f, 2f, 3f, 4f, 5f, 6f] : new float[6];
        Assert.That(c, Is.EqualTo(expected));
        Assert.That(cd, Is.EqualTo(expected.Select(x => (double)x)));
    }

    [TestCase(0, 3, 4)]
    [TestCase(3, 0, 4)]
    [TestCase(0, 0, 0)]
    public void Empty_result_touches_nothing(int m, int n, int k)
    {
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        float[] c = [42f];

        Gemm.Multiply(a, false, b, false, c, m, n, k, accumulate: false, maxThreads: 2);

        Assert.That(c[0], Is.EqualTo(42f));
    }

    [TestCase(false, false)]
    [TestCase(true, true)]
    public void Writes_nothing_outside_c(bool transposeA, bool transposeB)
    {
        // C sits inside a larger array; edge tiles must not spill into the elements around it.
        const int M = 13;
        const int N = 35;
        const int K = 20;
        const int Margin = 64;
        var random = new Random(7);
        float[] a = RandomSingles(random, M * K);
        float[] b = RandomSingles(random, K * N);
        float[] buffer = Enumerable.Repeat(-7f, (2 * Margin) + (M * N)).ToArray();

        Gemm.Multiply(a, transposeA, b, transposeB, buffer.AsSpan(Margin, M * N), M, N, K, maxThreads: 2);

        Assert.That(buffer[..Margin], Is.All.EqualTo(-7f));
        Assert.That(buffer[(Margin + (M * N))..], Is.All.EqualTo(-7f));
        Assert.That(buffer[Margin..(Margin + (M * N))], Has.None.EqualTo(-7f));
    }

    [Test]
    public void Longer_spans_are_fine_and_only_their_start_is_used()
    {
        float[] a = [1f, 2f, 3f, 4f, 99f];     // 2×2, then an extra element
        float[] b = [5f, 6f, 7f, 8f, 99f];
        float[] c = [0f, 0f, 0f, 0f, -1f];

        Gemm.Multiply(a, false, b, false, c, 2, 2, 2);

        Assert.That(c, Is.EqualTo(new[] { 19f, 22f, 43f, 50f, -1f }));
    }

    [TestCase("a")]
    [TestCase("b")]
    [TestCase("c")]
    public void Too_short_a_span_throws_with_the_sizes(string which)
    {
        const int M = 4;
        const int N = 5;
        const int K = 3;
        float[] a = new float[(M * K) - (which == "a" ? 1 : 0)];
        float[] b = new float[(K * N) - (which == "b" ? 1 : 0)];
        float[] c = new float[(M * N) - (which == "c" ? 1 : 0)];

        var exception = Assert.Throws<ArgumentException>(() => Gemm.Multiply(a, false, b, true, c, M, N, K));

        Assert.That(exception!.ParamName, Is.EqualTo(which));
        Assert.That(exception.Message, Does.Contain("Gemm"));
        Assert.That(exception.Message, Does.Contain(which == "c" ? "4×5" : which == "a" ? "4×3" : "3×5"));
        Assert.That(exception.Message, Does.Contain($"has {(which == "a" ? 11 : which == "b" ? 14 : 19)} elements"));
    }

    [Test]
    public void Too_short_a_double_span_throws_too()
    {
        double[] a = new double[6];
        double[] b = new double[5];
        double[] c = new double[4];

        var exception = Assert.Throws<ArgumentException>(
            () => Gemm.Multiply(a, true, b, false, c, 2, 2, 3, accumulate: true, maxThreads: 2));

        Assert.That(exception!.Message, Does.Contain("Gemm").And.Contain("3×2").And.Contain("needs 6"));
    }

    [TestCase(-1, 2, 2, 1)]
    [TestCase(2, -1, 2, 1)]
    [TestCase(2, 2, -1, 1)]
    [TestCase(2, 2, 2, 0)]
    public void Negative_sizes_and_no_threads_are_rejected(int m, int n, int k, int maxThreads)
    {
        float[] buffer = new float[16];
        float[] c = new float[16];

        var exception = Assert.Throws<ArgumentOutOfRangeException>(
            () => Gemm.Multiply(buffer, false, buffer, false, c, m, n, k, maxThreads: maxThreads));

        Assert.That(exception!.Message, Does.Contain("Gemm"));
    }

    [Test]
    public void Output_overlapping_an_input_is_rejected()
    {
        float[] buffer = new float[32];

        var exception = Assert.Throws<ArgumentException>(
            () => Gemm.Multiply(buffer.AsSpan(0, 4), false, buffer.AsSpan(4, 4), false, buffer.AsSpan(2, 4), 2, 2, 2));

        Assert.That(exception!.Message, Does.Contain("Gemm").And.Contain("overlaps"));
    }

    private static void CheckSingle(
        GemmPath path, int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, int threads)
    {
        var random = new Random(HashCode.Combine(m, n, k, transposeA, transposeB, accumulate));
        float[] a = RandomSingles(random, m * k);
        float[] b = RandomSingles(random, k * n);
        float[] c = RandomSingles(random, m * n);
        var (expected, scale) = Naive(
            ToDoubles(a), transposeA, ToDoubles(b), transposeB, ToDoubles(c), m, n, k, accumulate);

        Gemm.MultiplyWith(path, a, transposeA, b, transposeB, c, m, n, k, accumulate, threads);

        AssertClose(ToDoubles(c), expected, scale, SingleTolerance, n, Describe(path, m, n, k, transposeA, transposeB, accumulate, threads));
    }

    private static void CheckDouble(
        GemmPath path, int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, int threads)
    {
        var random = new Random(HashCode.Combine(m, n, k, transposeA, transposeB, accumulate, 1));
        double[] a = RandomDoubles(random, m * k);
        double[] b = RandomDoubles(random, k * n);
        double[] c = RandomDoubles(random, m * n);
        var (expected, scale) = Naive(a, transposeA, b, transposeB, c, m, n, k, accumulate);

        Gemm.MultiplyWith(path, a, transposeA, b, transposeB, c, m, n, k, accumulate, threads);

        AssertClose(c, expected, scale, DoubleTolerance, n, Describe(path, m, n, k, transposeA, transposeB, accumulate, threads));
    }

    /// <summary>
    /// The product by definition, in double, and for each element the sum of the magnitudes of its terms
    /// (and of the old C when accumulating), which scales the rounding error of any summation order.
    /// </summary>
    private static (double[] Expected, double[] Scale) Naive(
        double[] a, bool transposeA, double[] b, bool transposeB, double[] c, int m, int n, int k, bool accumulate)
    {
        double[] expected = new double[m * n];
        double[] scale = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[(i * n) + j] : 0;
                double magnitude = Math.Abs(sum);
                for (int p = 0; p < k; p++)
                {
                    double term = (transposeA ? a[(p * m) + i] : a[(i * k) + p]) * (transposeB ? b[(j * k) + p] : b[(p * n) + j]);
                    sum += term;
                    magnitude += Math.Abs(term);
                }

                expected[(i * n) + j] = sum;
                scale[(i * n) + j] = magnitude;
            }
        }

        return (expected, scale);
    }

    /// <summary>Checks every element, reporting the one furthest outside its tolerance (or the closest to it).</summary>
    private static void AssertClose(
        double[] actual, double[] expected, double[] scale, double tolerance, int n, string what)
    {
        int worst = 0;
        double worstRatio = -1;
        for (int i = 0; i < actual.Length; i++)
        {
            // The smallest positive tolerance keeps exact zeros (all terms zero) exact.
            double ratio = Math.Abs(actual[i] - expected[i]) / Math.Max(tolerance * scale[i], double.Epsilon);
            if (double.IsNaN(ratio) || ratio > worstRatio)
            {
                worst = i;
                worstRatio = double.IsNaN(ratio) ? double.PositiveInfinity : ratio;
            }
        }

        if (actual.Length > 0)
        {
            Assert.That(
                actual[worst],
                Is.EqualTo(expected[worst]).Within(tolerance * scale[worst]),
                $"{what}: C[{worst / n}, {worst % n}]");
        }
    }

    private static string Describe(
        GemmPath path, int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, int threads) =>
        $"{path} {m}x{k}·{k}x{n} transposeA={transposeA} transposeB={transposeB} accumulate={accumulate} threads={threads}";

    private static float[] RandomSingles(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();

    private static double[] RandomDoubles(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (random.NextDouble() * 2) - 1).ToArray();

    private static double[] ToDoubles(float[] values) => values.Select(x => (double)x).ToArray();
}
