using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autodiff.Kernels;

/// <summary>
/// General matrix multiply, C = op(A) · op(B) or C += op(A) · op(B), for row-major contiguous matrices in
/// single and double precision. The BCL has no matrix multiply, and the engine's dense layers spend almost all
/// of their time here.
/// </summary>
/// <remarks>
/// <para>
/// The structure is the one of GotoBLAS and BLIS. Both operands are first copied ("packed") into buffers laid
/// out exactly in the order the innermost loop reads them: op(A) in panels of <c>Mr</c> rows, each stored
/// column by column, and op(B) in panels of <c>Nr</c> columns, each stored row by row, with zeros past the edge
/// of the matrix. A register-tile micro-kernel then keeps an <c>Mr</c>×<c>Nr</c> block of C in vector
/// registers while it walks down the shared dimension, doing one broadcast of A and one fused multiply-add per
/// <c>Nr</c>/lanes vectors of B. Packing is what makes transposed operands free (the transpose happens while
/// packing, never as a separate matrix) and what keeps every access of the inner loop sequential, in L1 or L2,
/// whatever the shapes.
/// </para>
/// <para>
/// Loops, outermost first: the work is cut into tasks along m (or along n when op(A) is the smaller operand,
/// see <see cref="GemmDriver{T, TKernel}"/>); within a task, passes of at most <c>Kc</c> over the shared
/// dimension (so one <c>Kc</c>×<c>Nr</c> panel of B stays in L1), blocks of <c>Mc</c> rows (so the
/// <c>Mc</c>×<c>Kc</c> block of A stays in L2), panels of <c>Nr</c> columns, and panels of <c>Mr</c> rows, each
/// of which is one micro-kernel call. Tile and block sizes are per micro-kernel
/// (<see cref="IGemmMicroKernel{T}"/>) and were chosen by measurement.
/// </para>
/// <para>
/// Threads: with <c>maxThreads</c> above 1 and at least <see cref="GemmPlan.ParallelMinFlops"/> floating-point
/// operations, the tasks are shared with helper threads from the pool, which claim them one at a time; smaller
/// products stay on the calling thread, where waking a helper would cost as much as the product.
/// </para>
/// </remarks>
internal static class Gemm
{
    /// <summary>
    /// C (m×n) = op(A)·op(B), or += when accumulating, for matrices at offsets in arrays of float or double: with
    /// several threads and a small op(B), one band of rows per thread (<see cref="GemmRowBands"/>, which needs arrays
    /// that every thread can read), else the span kernel below.
    /// </summary>
    public static void Multiply<T>(T[] a, int aOffset, bool transposeA, T[] b, int bOffset, bool transposeB, T[] c, int cOffset, int m, int n, int k, bool accumulate, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bands = GemmRowBands.Bands(transposeA, m, n, k, maxThreads);
        if (bands > 1)
        {
            GemmRowBands.Multiply(a, aOffset, b, bOffset, transposeB, c, cOffset, m, n, k, accumulate, bands);
            return;
        }

        Multiply(a.AsSpan(aOffset, m * k), transposeA, b.AsSpan(bOffset, k * n), transposeB, c.AsSpan(cOffset, m * n), m, n, k, accumulate, maxThreads);
    }

    /// <summary>
    /// C at cOffsets[i] (m×n) = op(A at aOffsets[i])·op(B at bOffsets[i]), or += when accumulating, for every i: a batch
    /// of products in one call. With <paramref name="distinctOutputs"/> (no two products write the same C) and products
    /// too small to split on their own, whole products go to the threads; otherwise they run one after another, each
    /// on up to <paramref name="maxThreads"/> threads.
    /// </summary>
    public static void MultiplyBatched<T>(
        T[] a, int[] aOffsets, bool transposeA, T[] b, int[] bOffsets, bool transposeB, T[] c, int[] cOffsets,
        int m, int n, int k, bool accumulate, bool distinctOutputs, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = cOffsets.Length;
        long flops = 2L * m * n * k;
        if (distinctOutputs && batch > 1 && maxThreads > 1 && flops < GemmPlan.ParallelMinFlops)
        {
            ParallelFor.Run(batch, Math.Max(1, flops / 2), maxThreads, (from, to) =>
            {
                for (int i = from; i < to; i++)
                {
                    Multiply(a.AsSpan(aOffsets[i], m * k), transposeA, b.AsSpan(bOffsets[i], k * n), transposeB, c.AsSpan(cOffsets[i], m * n), m, n, k, accumulate, 1);
                }
            });
            return;
        }

        for (int i = 0; i < batch; i++)
        {
            Multiply(a, aOffsets[i], transposeA, b, bOffsets[i], transposeB, c, cOffsets[i], m, n, k, accumulate, maxThreads);
        }
    }

    /// <summary>C (m×n) = op(A)·op(B), or += when accumulating: the float or double kernel for T.</summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c, int m, int n, int k, bool accumulate, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            Multiply(MemoryMarshal.Cast<T, float>(a), transposeA, MemoryMarshal.Cast<T, float>(b), transposeB, MemoryMarshal.Cast<T, float>(c), m, n, k, accumulate, maxThreads);
        }
        else
        {
            Multiply(MemoryMarshal.Cast<T, double>(a), transposeA, MemoryMarshal.Cast<T, double>(b), transposeB, MemoryMarshal.Cast<T, double>(c), m, n, k, accumulate, maxThreads);
        }
    }

    /// <summary>
    /// Computes C (m×n) = op(A) · op(B), or C += op(A) · op(B) when <paramref name="accumulate"/> is set, in
    /// single precision. All matrices are row-major and contiguous.
    /// </summary>
    /// <param name="a">A, stored m×k, or k×m when <paramref name="transposeA"/> is set.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A (read as such, never materialised).</param>
    /// <param name="b">B, stored k×n, or n×k when <paramref name="transposeB"/> is set.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="c">C, m×n; must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B). With k = 0 the product is the zero matrix.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="maxThreads">
    /// How many threads may work on the product (the calling thread included). Products too small to repay
    /// the cost of waking a second thread run on the calling thread whatever this says.
    /// </param>
    /// <exception cref="ArgumentException">
    /// A size is negative, <paramref name="maxThreads"/> is below 1, a span is shorter than its matrix, or
    /// <paramref name="c"/> overlaps an input.
    /// </exception>
    public static void Multiply(
        ReadOnlySpan<float> a,
        bool transposeA,
        ReadOnlySpan<float> b,
        bool transposeB,
        Span<float> c,
        int m,
        int n,
        int k,
        bool accumulate = false,
        int maxThreads = 1)
    {
        MultiplyWith(GemmPath.Auto, a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
    }

    /// <summary>
    /// Computes C (m×n) = op(A) · op(B), or C += op(A) · op(B) when <paramref name="accumulate"/> is set, in
    /// double precision. All matrices are row-major and contiguous.
    /// </summary>
    /// <param name="a">A, stored m×k, or k×m when <paramref name="transposeA"/> is set.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A (read as such, never materialised).</param>
    /// <param name="b">B, stored k×n, or n×k when <paramref name="transposeB"/> is set.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="c">C, m×n; must not overlap <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B). With k = 0 the product is the zero matrix.</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="maxThreads">
    /// How many threads may work on the product (the calling thread included). Products too small to repay
    /// the cost of waking a second thread run on the calling thread whatever this says.
    /// </param>
    /// <exception cref="ArgumentException">
    /// A size is negative, <paramref name="maxThreads"/> is below 1, a span is shorter than its matrix, or
    /// <paramref name="c"/> overlaps an input.
    /// </exception>
    public static void Multiply(
        ReadOnlySpan<double> a,
        bool transposeA,
        ReadOnlySpan<double> b,
        bool transposeB,
        Span<double> c,
        int m,
        int n,
        int k,
        bool accumulate = false,
        int maxThreads = 1)
    {
        MultiplyWith(GemmPath.Auto, a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
    }

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{float}, bool, ReadOnlySpan{float}, bool, Span{float}, int, int, int, bool, int)"/>
    /// with the micro-kernel chosen by the caller, so that tests reach the fallbacks on any machine.
    /// </summary>
    /// <param name="path">Which micro-kernel to use; <see cref="GemmPath.Auto"/> picks the widest accelerated one.</param>
    /// <param name="a">A, stored m×k, or k×m when <paramref name="transposeA"/> is set.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A.</param>
    /// <param name="b">B, stored k×n, or n×k when <paramref name="transposeB"/> is set.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="c">C, m×n.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="maxThreads">How many threads may work on the product.</param>
    internal static void MultiplyWith(
        GemmPath path,
        ReadOnlySpan<float> a,
        bool transposeA,
        ReadOnlySpan<float> b,
        bool transposeB,
        Span<float> c,
        int m,
        int n,
        int k,
        bool accumulate,
        int maxThreads)
    {
        if (!Prepare(ref a, ref b, ref c, m, n, k, transposeA, transposeB, accumulate, maxThreads))
        {
            return;
        }

        switch (Resolve(path))
        {
            case GemmPath.Vector512:
                GemmDriver<float, SingleKernel512>.Run(a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
                break;
            case GemmPath.Vector256:
                GemmDriver<float, SingleKernel256>.Run(a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
                break;
            default:
                GemmDriver<float, ScalarKernel<float>>.Run(a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
                break;
        }
    }

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{double}, bool, ReadOnlySpan{double}, bool, Span{double}, int, int, int, bool, int)"/>
    /// with the micro-kernel chosen by the caller, so that tests reach the fallbacks on any machine.
    /// </summary>
    /// <param name="path">Which micro-kernel to use; <see cref="GemmPath.Auto"/> picks the widest accelerated one.</param>
    /// <param name="a">A, stored m×k, or k×m when <paramref name="transposeA"/> is set.</param>
    /// <param name="transposeA">Whether op(A) is the transpose of the stored A.</param>
    /// <param name="b">B, stored k×n, or n×k when <paramref name="transposeB"/> is set.</param>
    /// <param name="transposeB">Whether op(B) is the transpose of the stored B.</param>
    /// <param name="c">C, m×n.</param>
    /// <param name="m">Rows of op(A) and of C.</param>
    /// <param name="n">Columns of op(B) and of C.</param>
    /// <param name="k">Columns of op(A) and rows of op(B).</param>
    /// <param name="accumulate">Add the product to C instead of overwriting it.</param>
    /// <param name="maxThreads">How many threads may work on the product.</param>
    internal static void MultiplyWith(
        GemmPath path,
        ReadOnlySpan<double> a,
        bool transposeA,
        ReadOnlySpan<double> b,
        bool transposeB,
        Span<double> c,
        int m,
        int n,
        int k,
        bool accumulate,
        int maxThreads)
    {
        if (!Prepare(ref a, ref b, ref c, m, n, k, transposeA, transposeB, accumulate, maxThreads))
        {
            return;
        }

        switch (Resolve(path))
        {
            case GemmPath.Vector512:
                GemmDriver<double, DoubleKernel512>.Run(a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
                break;
            case GemmPath.Vector256:
                GemmDriver<double, DoubleKernel256>.Run(a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
                break;
            default:
                GemmDriver<double, ScalarKernel<double>>.Run(a, transposeA, b, transposeB, c, m, n, k, accumulate, maxThreads);
                break;
        }
    }

    /// <summary>The micro-kernel <see cref="GemmPath.Auto"/> stands for on this machine.</summary>
    /// <returns>The widest micro-kernel whose vectors and fused multiply-add the hardware executes natively.</returns>
    internal static GemmPath BestPath()
    {
        // A Vector512 kernel on hardware without AVX-512 would still run, emulated as two halves, but it wants
        // 32 vector registers and would spill. Vector256.FusedMultiplyAdd without FMA3 is a scalar loop.
        if (Vector512.IsHardwareAccelerated)
        {
            return GemmPath.Vector512;
        }

        return Vector256.IsHardwareAccelerated && Fma.IsSupported ? GemmPath.Vector256 : GemmPath.Scalar;
    }

    private static GemmPath Resolve(GemmPath path) => path == GemmPath.Auto ? BestPath() : path;

    /// <summary>
    /// Validates the arguments, trims the spans to the matrices and handles the products with nothing to
    /// multiply, so that the kernels below never see a short span or an empty dimension.
    /// </summary>
    /// <returns>Whether there is a product left to compute (m, n and k all positive).</returns>
    private static bool Prepare<T>(
        ref ReadOnlySpan<T> a,
        ref ReadOnlySpan<T> b,
        ref Span<T> c,
        int m,
        int n,
        int k,
        bool transposeA,
        bool transposeB,
        bool accumulate,
        int maxThreads)
        where T : unmanaged
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(
                m < 0 ? nameof(m) : n < 0 ? nameof(n) : nameof(k),
                $"Gemm: sizes must not be negative, got m = {m}, n = {n}, k = {k}.");
        }

        if (maxThreads < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(maxThreads), maxThreads, $"Gemm: maxThreads must be at least 1, got {maxThreads}.");
        }

        // In long: m·k may exceed int.MaxValue, and then no span can be long enough.
        long aNeeded = (long)m * k;
        long bNeeded = (long)k * n;
        long cNeeded = (long)m * n;
        if (a.Length < aNeeded)
        {
            throw new ArgumentException(
                $"Gemm: a has {a.Length} elements, but op(A) is {m}×{k} (stored {(transposeA ? $"{k}×{m}, transposed" : $"{m}×{k}")}) and needs {aNeeded}.",
                nameof(a));
        }

        if (b.Length < bNeeded)
        {
            throw new ArgumentException(
                $"Gemm: b has {b.Length} elements, but op(B) is {k}×{n} (stored {(transposeB ? $"{n}×{k}, transposed" : $"{k}×{n}")}) and needs {bNeeded}.",
                nameof(b));
        }

        if (c.Length < cNeeded)
        {
            throw new ArgumentException(
                $"Gemm: c has {c.Length} elements, but C is {m}×{n} and needs {cNeeded}.", nameof(c));
        }

        a = a[..(int)aNeeded];
        b = b[..(int)bNeeded];
        c = c[..(int)cNeeded];

        // The product is written tile by tile while the inputs are still being read, so C may not alias them.
        if (c.Overlaps(a) || c.Overlaps(b))
        {
            throw new ArgumentException(
                $"Gemm: c ({m}×{n}) overlaps {(c.Overlaps(a) ? "a" : "b")}; the output must be separate memory.",
                nameof(c));
        }

        if (m == 0 || n == 0)
        {
            return false;
        }

        if (k == 0)
        {
            // An empty sum: the product is zero, and adding zero leaves C as it was.
            if (!accumulate)
            {
                c.Clear();
            }

            return false;
        }

        return true;
    }
}

/// <summary>Which micro-kernel <see cref="Gemm"/> runs; tests force each one, everything else uses Auto.</summary>
internal enum GemmPath
{
    /// <summary>The widest kernel the hardware accelerates (see <see cref="Gemm.BestPath"/>).</summary>
    Auto,

    /// <summary>Vector512 registers and fused multiply-add (AVX-512).</summary>
    Vector512,

    /// <summary>Vector256 registers and fused multiply-add (AVX2 with FMA3).</summary>
    Vector256,

    /// <summary>Plain scalar arithmetic, for hardware with neither.</summary>
    Scalar,
}
