using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>
/// A register-tile micro-kernel of <see cref="Gemm"/>: C[0..Mr, 0..Nr] = (or +=) the sum over p &lt; kc of
/// the outer product of column p of a packed A panel (Mr values) and row p of a packed B panel (Nr values).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <remarks>
/// The kernels are structs with static members so that the generic driver is compiled once per kernel, with
/// the tile and block sizes as constants and the kernel call inlined or at least direct.
/// </remarks>
internal interface IGemmMicroKernel<T>
    where T : unmanaged
{
    /// <summary>Gets the rows of the register tile, which is also the height of a packed A panel.</summary>
    static abstract int Mr { get; }

    /// <summary>Gets the columns of the register tile, which is also the width of a packed B panel.</summary>
    static abstract int Nr { get; }

    /// <summary>
    /// Gets the greatest depth of one pass over the shared dimension: a Kc×Nr panel of B should stay in L1
    /// while the kernel sweeps down the Mc rows of the A block. k is cut into passes of equal depth up to this.
    /// </summary>
    static abstract int Kc { get; }

    /// <summary>Gets the rows of the A block (a multiple of Mr); the Mc×Kc packed block should stay in L2.</summary>
    static abstract int Mc { get; }

    /// <summary>Multiplies a packed A panel by a packed B panel into one full tile of C.</summary>
    /// <param name="kc">How many steps of the shared dimension to take (at least 1).</param>
    /// <param name="a">The packed A panel: kc groups of Mr values, one group per step.</param>
    /// <param name="b">The packed B panel: kc groups of Nr values, one group per step.</param>
    /// <param name="c">The top-left element of the tile of C.</param>
    /// <param name="ldc">The distance between rows of C, in elements.</param>
    /// <param name="add">Add to the tile instead of overwriting it.</param>
    static abstract void Run(int kc, ref T a, ref T b, ref T c, nint ldc, bool add);
}

/// <summary>
/// The single-precision kernel for AVX-512: an 8×32 tile in sixteen of the thirty-two zmm registers.
/// </summary>
/// <remarks>
/// Sixteen accumulators cover the FMA latency on both Zen 4 (one zmm FMA per cycle) and Intel (two), and
/// leave enough registers that the allocator never spills (checked in the AVX-512 code the JIT generates).
/// Kc·Nr·4 B = 24 KiB of B stays in L1. Not tuned by measurement: the machine this was written on has no
/// AVX-512.
/// </remarks>
internal readonly struct SingleKernel512 : IGemmMicroKernel<float>
{
    /// <inheritdoc/>
    public static int Mr => 8;

    /// <inheritdoc/>
    public static int Nr => 32;

    /// <inheritdoc/>
    public static int Kc => 192;

    /// <inheritdoc/>
    public static int Mc => 144;

    /// <inheritdoc/>
    public static void Run(int kc, ref float a, ref float b, ref float c, nint ldc, bool add)
    {
        Vector512<float> c00 = default;
        Vector512<float> c01 = default;
        Vector512<float> c10 = default;
        Vector512<float> c11 = default;
        Vector512<float> c20 = default;
        Vector512<float> c21 = default;
        Vector512<float> c30 = default;
        Vector512<float> c31 = default;
        Vector512<float> c40 = default;
        Vector512<float> c41 = default;
        Vector512<float> c50 = default;
        Vector512<float> c51 = default;
        Vector512<float> c60 = default;
        Vector512<float> c61 = default;
        Vector512<float> c70 = default;
        Vector512<float> c71 = default;

        // Two steps of k per iteration halve the loop overhead, which otherwise costs a few percent of the
        // FMA issue slots.
        int p = 0;
        for (; p + 1 < kc; p += 2)
        {
            {
                Vector512<float> b0 = Vector512.LoadUnsafe(ref b);
                Vector512<float> b1 = Vector512.LoadUnsafe(ref b, 16);
                Vector512<float> a0 = Vector512.Create(a);
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                Vector512<float> a1 = Vector512.Create(Unsafe.Add(ref a, 1));
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                Vector512<float> a2 = Vector512.Create(Unsafe.Add(ref a, 2));
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                Vector512<float> a3 = Vector512.Create(Unsafe.Add(ref a, 3));
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
                Vector512<float> a4 = Vector512.Create(Unsafe.Add(ref a, 4));
                c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
                Vector512<float> a5 = Vector512.Create(Unsafe.Add(ref a, 5));
                c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
                Vector512<float> a6 = Vector512.Create(Unsafe.Add(ref a, 6));
                c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
                Vector512<float> a7 = Vector512.Create(Unsafe.Add(ref a, 7));
                c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            }
            {
                Vector512<float> b0 = Vector512.LoadUnsafe(ref b, 32);
                Vector512<float> b1 = Vector512.LoadUnsafe(ref b, 48);
                Vector512<float> a0 = Vector512.Create(Unsafe.Add(ref a, 8));
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                Vector512<float> a1 = Vector512.Create(Unsafe.Add(ref a, 9));
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                Vector512<float> a2 = Vector512.Create(Unsafe.Add(ref a, 10));
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                Vector512<float> a3 = Vector512.Create(Unsafe.Add(ref a, 11));
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
                Vector512<float> a4 = Vector512.Create(Unsafe.Add(ref a, 12));
                c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
                Vector512<float> a5 = Vector512.Create(Unsafe.Add(ref a, 13));
                c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
                Vector512<float> a6 = Vector512.Create(Unsafe.Add(ref a, 14));
                c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
                Vector512<float> a7 = Vector512.Create(Unsafe.Add(ref a, 15));
                c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            }

            a = ref Unsafe.Add(ref a, 16);
            b = ref Unsafe.Add(ref b, 64);
        }

        if (p < kc)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref b);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref b, 16);
            Vector512<float> a0 = Vector512.Create(a);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            Vector512<float> a1 = Vector512.Create(Unsafe.Add(ref a, 1));
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            Vector512<float> a2 = Vector512.Create(Unsafe.Add(ref a, 2));
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            Vector512<float> a3 = Vector512.Create(Unsafe.Add(ref a, 3));
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            Vector512<float> a4 = Vector512.Create(Unsafe.Add(ref a, 4));
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            Vector512<float> a5 = Vector512.Create(Unsafe.Add(ref a, 5));
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            Vector512<float> a6 = Vector512.Create(Unsafe.Add(ref a, 6));
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            Vector512<float> a7 = Vector512.Create(Unsafe.Add(ref a, 7));
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
        }

        StoreRow(ref c, c00, c01, add);
        StoreRow(ref Unsafe.Add(ref c, ldc), c10, c11, add);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, add);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, add);
        StoreRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, add);
        StoreRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, add);
        StoreRow(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, add);
        StoreRow(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector512<float> v0, Vector512<float> v1, bool add)
    {
        if (add)
        {
            v0 += Vector512.LoadUnsafe(ref c);
            v1 += Vector512.LoadUnsafe(ref c, 16);
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, 16);
    }
}

/// <summary>
/// The single-precision kernel for AVX2 + FMA3: a 6×16 tile in twelve of the sixteen ymm registers, two for the
/// row of B and one for the broadcast element of A.
/// </summary>
/// <remarks>
/// 6×16 is the widest tile whose accumulators, B row and A broadcast fit the 16 registers without spilling, and it
/// kept pace with a loop of nothing but FMAs; k is unrolled by two, and Kc = 384 keeps a 24 KiB panel of B in a
/// 32 KiB L1. The tile and blocking measurements behind these choices are in docs/benchmarks.md ("Kernel choices").
/// </remarks>
internal readonly struct SingleKernel256 : IGemmMicroKernel<float>
{
    /// <inheritdoc/>
    public static int Mr => 6;

    /// <inheritdoc/>
    public static int Nr => 16;

    /// <inheritdoc/>
    public static int Kc => 384;

    /// <inheritdoc/>
    public static int Mc => 96;

    /// <inheritdoc/>
    public static void Run(int kc, ref float a, ref float b, ref float c, nint ldc, bool add)
    {
        Vector256<float> c00 = default;
        Vector256<float> c01 = default;
        Vector256<float> c10 = default;
        Vector256<float> c11 = default;
        Vector256<float> c20 = default;
        Vector256<float> c21 = default;
        Vector256<float> c30 = default;
        Vector256<float> c31 = default;
        Vector256<float> c40 = default;
        Vector256<float> c41 = default;
        Vector256<float> c50 = default;
        Vector256<float> c51 = default;

        // Two steps of k per iteration halve the loop overhead, which otherwise costs a few percent of the
        // FMA issue slots.
        int p = 0;
        for (; p + 1 < kc; p += 2)
        {
            {
                Vector256<float> b0 = Vector256.LoadUnsafe(ref b);
                Vector256<float> b1 = Vector256.LoadUnsafe(ref b, 8);
                Vector256<float> a0 = Vector256.Create(a);
                c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                Vector256<float> a1 = Vector256.Create(Unsafe.Add(ref a, 1));
                c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                Vector256<float> a2 = Vector256.Create(Unsafe.Add(ref a, 2));
                c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                Vector256<float> a3 = Vector256.Create(Unsafe.Add(ref a, 3));
                c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
                Vector256<float> a4 = Vector256.Create(Unsafe.Add(ref a, 4));
                c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
                Vector256<float> a5 = Vector256.Create(Unsafe.Add(ref a, 5));
                c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            }
            {
                Vector256<float> b0 = Vector256.LoadUnsafe(ref b, 16);
                Vector256<float> b1 = Vector256.LoadUnsafe(ref b, 24);
                Vector256<float> a0 = Vector256.Create(Unsafe.Add(ref a, 6));
                c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                Vector256<float> a1 = Vector256.Create(Unsafe.Add(ref a, 7));
                c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                Vector256<float> a2 = Vector256.Create(Unsafe.Add(ref a, 8));
                c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                Vector256<float> a3 = Vector256.Create(Unsafe.Add(ref a, 9));
                c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
                Vector256<float> a4 = Vector256.Create(Unsafe.Add(ref a, 10));
                c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
                Vector256<float> a5 = Vector256.Create(Unsafe.Add(ref a, 11));
                c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            }

            a = ref Unsafe.Add(ref a, 12);
            b = ref Unsafe.Add(ref b, 32);
        }

        if (p < kc)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref b);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref b, 8);
            Vector256<float> a0 = Vector256.Create(a);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            Vector256<float> a1 = Vector256.Create(Unsafe.Add(ref a, 1));
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            Vector256<float> a2 = Vector256.Create(Unsafe.Add(ref a, 2));
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            Vector256<float> a3 = Vector256.Create(Unsafe.Add(ref a, 3));
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            Vector256<float> a4 = Vector256.Create(Unsafe.Add(ref a, 4));
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            Vector256<float> a5 = Vector256.Create(Unsafe.Add(ref a, 5));
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
        }

        StoreRow(ref c, c00, c01, add);
        StoreRow(ref Unsafe.Add(ref c, ldc), c10, c11, add);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, add);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, add);
        StoreRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, add);
        StoreRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add)
        {
            v0 += Vector256.LoadUnsafe(ref c);
            v1 += Vector256.LoadUnsafe(ref c, 8);
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, 8);
    }
}

/// <summary>
/// The double-precision kernel for AVX-512: an 8×16 tile in sixteen zmm registers, the same shape in registers
/// as <see cref="SingleKernel512"/>.
/// </summary>
internal readonly struct DoubleKernel512 : IGemmMicroKernel<double>
{
    /// <inheritdoc/>
    public static int Mr => 8;

    /// <inheritdoc/>
    public static int Nr => 16;

    /// <inheritdoc/>
    public static int Kc => 192;

    /// <inheritdoc/>
    public static int Mc => 96;

    /// <inheritdoc/>
    public static void Run(int kc, ref double a, ref double b, ref double c, nint ldc, bool add)
    {
        Vector512<double> c00 = default;
        Vector512<double> c01 = default;
        Vector512<double> c10 = default;
        Vector512<double> c11 = default;
        Vector512<double> c20 = default;
        Vector512<double> c21 = default;
        Vector512<double> c30 = default;
        Vector512<double> c31 = default;
        Vector512<double> c40 = default;
        Vector512<double> c41 = default;
        Vector512<double> c50 = default;
        Vector512<double> c51 = default;
        Vector512<double> c60 = default;
        Vector512<double> c61 = default;
        Vector512<double> c70 = default;
        Vector512<double> c71 = default;

        // Two steps of k per iteration halve the loop overhead, which otherwise costs a few percent of the
        // FMA issue slots.
        int p = 0;
        for (; p + 1 < kc; p += 2)
        {
            {
                Vector512<double> b0 = Vector512.LoadUnsafe(ref b);
                Vector512<double> b1 = Vector512.LoadUnsafe(ref b, 8);
                Vector512<double> a0 = Vector512.Create(a);
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                Vector512<double> a1 = Vector512.Create(Unsafe.Add(ref a, 1));
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                Vector512<double> a2 = Vector512.Create(Unsafe.Add(ref a, 2));
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                Vector512<double> a3 = Vector512.Create(Unsafe.Add(ref a, 3));
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
                Vector512<double> a4 = Vector512.Create(Unsafe.Add(ref a, 4));
                c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
                Vector512<double> a5 = Vector512.Create(Unsafe.Add(ref a, 5));
                c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
                Vector512<double> a6 = Vector512.Create(Unsafe.Add(ref a, 6));
                c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
                Vector512<double> a7 = Vector512.Create(Unsafe.Add(ref a, 7));
                c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            }
            {
                Vector512<double> b0 = Vector512.LoadUnsafe(ref b, 16);
                Vector512<double> b1 = Vector512.LoadUnsafe(ref b, 24);
                Vector512<double> a0 = Vector512.Create(Unsafe.Add(ref a, 8));
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                Vector512<double> a1 = Vector512.Create(Unsafe.Add(ref a, 9));
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                Vector512<double> a2 = Vector512.Create(Unsafe.Add(ref a, 10));
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                Vector512<double> a3 = Vector512.Create(Unsafe.Add(ref a, 11));
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
                Vector512<double> a4 = Vector512.Create(Unsafe.Add(ref a, 12));
                c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
                Vector512<double> a5 = Vector512.Create(Unsafe.Add(ref a, 13));
                c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
                Vector512<double> a6 = Vector512.Create(Unsafe.Add(ref a, 14));
                c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
                Vector512<double> a7 = Vector512.Create(Unsafe.Add(ref a, 15));
                c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            }

            a = ref Unsafe.Add(ref a, 16);
            b = ref Unsafe.Add(ref b, 32);
        }

        if (p < kc)
        {
            Vector512<double> b0 = Vector512.LoadUnsafe(ref b);
            Vector512<double> b1 = Vector512.LoadUnsafe(ref b, 8);
            Vector512<double> a0 = Vector512.Create(a);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            Vector512<double> a1 = Vector512.Create(Unsafe.Add(ref a, 1));
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            Vector512<double> a2 = Vector512.Create(Unsafe.Add(ref a, 2));
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            Vector512<double> a3 = Vector512.Create(Unsafe.Add(ref a, 3));
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            Vector512<double> a4 = Vector512.Create(Unsafe.Add(ref a, 4));
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            Vector512<double> a5 = Vector512.Create(Unsafe.Add(ref a, 5));
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            Vector512<double> a6 = Vector512.Create(Unsafe.Add(ref a, 6));
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            Vector512<double> a7 = Vector512.Create(Unsafe.Add(ref a, 7));
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
        }

        StoreRow(ref c, c00, c01, add);
        StoreRow(ref Unsafe.Add(ref c, ldc), c10, c11, add);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, add);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, add);
        StoreRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, add);
        StoreRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, add);
        StoreRow(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, add);
        StoreRow(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref double c, Vector512<double> v0, Vector512<double> v1, bool add)
    {
        if (add)
        {
            v0 += Vector512.LoadUnsafe(ref c);
            v1 += Vector512.LoadUnsafe(ref c, 8);
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, 8);
    }
}

/// <summary>
/// The double-precision kernel for AVX2 + FMA3: a 6×8 tile in twelve ymm registers, the same shape in
/// registers as <see cref="SingleKernel256"/>.
/// </summary>
internal readonly struct DoubleKernel256 : IGemmMicroKernel<double>
{
    /// <inheritdoc/>
    public static int Mr => 6;

    /// <inheritdoc/>
    public static int Nr => 8;

    /// <inheritdoc/>
    public static int Kc => 384;

    /// <inheritdoc/>
    public static int Mc => 72;

    /// <inheritdoc/>
    public static void Run(int kc, ref double a, ref double b, ref double c, nint ldc, bool add)
    {
        Vector256<double> c00 = default;
        Vector256<double> c01 = default;
        Vector256<double> c10 = default;
        Vector256<double> c11 = default;
        Vector256<double> c20 = default;
        Vector256<double> c21 = default;
        Vector256<double> c30 = default;
        Vector256<double> c31 = default;
        Vector256<double> c40 = default;
        Vector256<double> c41 = default;
        Vector256<double> c50 = default;
        Vector256<double> c51 = default;

        // Two steps of k per iteration halve the loop overhead, which otherwise costs a few percent of the
        // FMA issue slots.
        int p = 0;
        for (; p + 1 < kc; p += 2)
        {
            {
                Vector256<double> b0 = Vector256.LoadUnsafe(ref b);
                Vector256<double> b1 = Vector256.LoadUnsafe(ref b, 4);
                Vector256<double> a0 = Vector256.Create(a);
                c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                Vector256<double> a1 = Vector256.Create(Unsafe.Add(ref a, 1));
                c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                Vector256<double> a2 = Vector256.Create(Unsafe.Add(ref a, 2));
                c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                Vector256<double> a3 = Vector256.Create(Unsafe.Add(ref a, 3));
                c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
                Vector256<double> a4 = Vector256.Create(Unsafe.Add(ref a, 4));
                c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
                Vector256<double> a5 = Vector256.Create(Unsafe.Add(ref a, 5));
                c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            }
            {
                Vector256<double> b0 = Vector256.LoadUnsafe(ref b, 8);
                Vector256<double> b1 = Vector256.LoadUnsafe(ref b, 12);
                Vector256<double> a0 = Vector256.Create(Unsafe.Add(ref a, 6));
                c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                Vector256<double> a1 = Vector256.Create(Unsafe.Add(ref a, 7));
                c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                Vector256<double> a2 = Vector256.Create(Unsafe.Add(ref a, 8));
                c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                Vector256<double> a3 = Vector256.Create(Unsafe.Add(ref a, 9));
                c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
                Vector256<double> a4 = Vector256.Create(Unsafe.Add(ref a, 10));
                c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
                Vector256<double> a5 = Vector256.Create(Unsafe.Add(ref a, 11));
                c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            }

            a = ref Unsafe.Add(ref a, 12);
            b = ref Unsafe.Add(ref b, 16);
        }

        if (p < kc)
        {
            Vector256<double> b0 = Vector256.LoadUnsafe(ref b);
            Vector256<double> b1 = Vector256.LoadUnsafe(ref b, 4);
            Vector256<double> a0 = Vector256.Create(a);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            Vector256<double> a1 = Vector256.Create(Unsafe.Add(ref a, 1));
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            Vector256<double> a2 = Vector256.Create(Unsafe.Add(ref a, 2));
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            Vector256<double> a3 = Vector256.Create(Unsafe.Add(ref a, 3));
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            Vector256<double> a4 = Vector256.Create(Unsafe.Add(ref a, 4));
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            Vector256<double> a5 = Vector256.Create(Unsafe.Add(ref a, 5));
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
        }

        StoreRow(ref c, c00, c01, add);
        StoreRow(ref Unsafe.Add(ref c, ldc), c10, c11, add);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, add);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, add);
        StoreRow(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, add);
        StoreRow(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref double c, Vector256<double> v0, Vector256<double> v1, bool add)
    {
        if (add)
        {
            v0 += Vector256.LoadUnsafe(ref c);
            v1 += Vector256.LoadUnsafe(ref c, 4);
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, 4);
    }
}

/// <summary>
/// The portable kernel for hardware without 256-bit vectors and FMA: a 4×4 tile of scalars, sixteen
/// accumulators that fit the sixteen scalar floating-point registers of x64 and Arm64.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct ScalarKernel<T> : IGemmMicroKernel<T>
    where T : unmanaged, INumberBase<T>
{
    /// <inheritdoc/>
    public static int Mr => 4;

    /// <inheritdoc/>
    public static int Nr => 4;

    /// <inheritdoc/>
    public static int Kc => 256;

    /// <inheritdoc/>
    public static int Mc => 64;

    /// <inheritdoc/>
    public static void Run(int kc, ref T a, ref T b, ref T c, nint ldc, bool add)
    {
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero;
        T c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero;
        T c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero;
        T c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (int p = 0; p < kc; p++)
        {
            T b0 = b, b1 = Unsafe.Add(ref b, 1), b2 = Unsafe.Add(ref b, 2), b3 = Unsafe.Add(ref b, 3);
            T a0 = a;
            c00 += a0 * b0;
            c01 += a0 * b1;
            c02 += a0 * b2;
            c03 += a0 * b3;
            T a1 = Unsafe.Add(ref a, 1);
            c10 += a1 * b0;
            c11 += a1 * b1;
            c12 += a1 * b2;
            c13 += a1 * b3;
            T a2 = Unsafe.Add(ref a, 2);
            c20 += a2 * b0;
            c21 += a2 * b1;
            c22 += a2 * b2;
            c23 += a2 * b3;
            T a3 = Unsafe.Add(ref a, 3);
            c30 += a3 * b0;
            c31 += a3 * b1;
            c32 += a3 * b2;
            c33 += a3 * b3;
            a = ref Unsafe.Add(ref a, 4);
            b = ref Unsafe.Add(ref b, 4);
        }

        StoreRow(ref c, c00, c01, c02, c03, add);
        StoreRow(ref Unsafe.Add(ref c, ldc), c10, c11, c12, c13, add);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, c22, c23, add);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, c32, c33, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref T c, T v0, T v1, T v2, T v3, bool add)
    {
        if (add)
        {
            v0 += c;
            v1 += Unsafe.Add(ref c, 1);
            v2 += Unsafe.Add(ref c, 2);
            v3 += Unsafe.Add(ref c, 3);
        }

        c = v0;
        Unsafe.Add(ref c, 1) = v1;
        Unsafe.Add(ref c, 2) = v2;
        Unsafe.Add(ref c, 3) = v3;
    }
}
