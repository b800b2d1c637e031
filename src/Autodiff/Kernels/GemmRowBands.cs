using System.Numerics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>
/// Several threads on one product when the operands are arrays: the rows of C (and of A) are cut into one band per
/// thread, and each thread runs the one-thread kernel on its band, packing its own pieces.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Gemm.Multiply(ReadOnlySpan{float}, bool, ReadOnlySpan{float}, bool, Span{float}, int, int, int, bool, int)"/>
/// gets spans, which cannot be handed to another thread, so its parallel driver packs every operand on the calling
/// thread while the helper waits for pieces; at n ≤ 512 that packing is a large share of the work and two threads
/// were no faster than one. The tensor layer holds arrays, which can be
/// shared: here every thread packs what it needs itself and writes its own rows of C. The price is that each
/// thread packs all of op(B), so this is used only while op(B) is small (the training shapes, n ≤ 512 squares);
/// larger products keep the driver, which shares one packed copy of B.
/// </para>
/// <para>
/// Bands of rows of op(A) are contiguous only when A is not transposed; a transposed A keeps the driver too.
/// The speed-ups on the training shapes, bands against the driver, are in docs/benchmarks.md ("Kernel choices").
/// </para>
/// </remarks>
internal static class GemmRowBands
{
    /// <summary>The fewest rows worth a band of their own.</summary>
    private const int MinRowsPerBand = 24;

    /// <summary>The largest op(B), in elements, that every thread may pack for itself.</summary>
    private const long MaxPackedBElements = 512L * 512;

    /// <summary>How many bands to cut op(A)·op(B) into: 1 means "let the span path decide".</summary>
    public static int Bands(bool transposeA, int m, int n, int k, int maxThreads)
    {
        if (maxThreads <= 1 || transposeA || (long)k * n > MaxPackedBElements || 2L * m * n * k < GemmPlan.ParallelMinFlops)
        {
            return 1;
        }

        return Math.Min(Math.Min(maxThreads, Environment.ProcessorCount), m / MinRowsPerBand);
    }

    /// <summary>C[offset…] (m×n) = op(A)·op(B) (or +=), one band of rows per thread; the caller checked <see cref="Bands"/> &gt; 1.</summary>
    public static void Multiply<T>(T[] a, int aOffset, T[] b, int bOffset, bool transposeB, T[] c, int cOffset, int m, int n, int k, bool accumulate, int bands)
        where T : unmanaged, INumberBase<T>
    {
        // Bands of whole micro-tiles (8 rows covers every kernel's Mr), the last one taking the remainder.
        int rows = ((m / bands) + 7) / 8 * 8;
        bands = (m + rows - 1) / rows;
        // The helpers' bands are reused from one product to the next, so a steady stream of products allocates nothing.
        BandWork<T>[] work = Interlocked.Exchange(ref BandWork<T>.Cached, null) is { } cached && cached.Length == bands - 1
            ? cached
            : [.. Enumerable.Range(0, bands - 1).Select(_ => new BandWork<T>())];
        for (int i = 1; i < bands; i++)
        {
            int first = i * rows, count = i == bands - 1 ? m - first : rows;
            work[i - 1].Arm(a, aOffset + (first * k), b, bOffset, transposeB, c, cOffset + (first * n), count, n, k, accumulate);
            Workers.Queue(work[i - 1]);
        }

        Exception? failure = null;
        try
        {
            Run(a, aOffset, b, bOffset, transposeB, c, cOffset, Math.Min(rows, m), n, k, accumulate);

            // A band whose helper has not started yet is done here rather than waited for: when every helper is
            // busy (in other products, say) it went to the thread pool, which could take long to grow.
            foreach (BandWork<T> band in work)
            {
                if (band.TryClaim())
                {
                    band.RunHere();
                }
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        foreach (BandWork<T> band in work)
        {
            band.WaitIfClaimedElsewhere();
            failure ??= band.Failure;
            band.Disarm();
        }

        BandWork<T>.Cached = work;
        if (failure is not null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    private static void Run<T>(T[] a, int aOffset, T[] b, int bOffset, bool transposeB, T[] c, int cOffset, int m, int n, int k, bool accumulate)
        where T : unmanaged, INumberBase<T>
    {
        if (typeof(T) == typeof(float))
        {
            Gemm.Multiply(
                MemoryMarshal.Cast<T, float>(a.AsSpan(aOffset, m * k)), false, MemoryMarshal.Cast<T, float>(b.AsSpan(bOffset, k * n)), transposeB,
                MemoryMarshal.Cast<T, float>(c.AsSpan(cOffset, m * n)), m, n, k, accumulate, maxThreads: 1);
        }
        else
        {
            Gemm.Multiply(
                MemoryMarshal.Cast<T, double>(a.AsSpan(aOffset, m * k)), false, MemoryMarshal.Cast<T, double>(b.AsSpan(bOffset, k * n)), transposeB,
                MemoryMarshal.Cast<T, double>(c.AsSpan(cOffset, m * n)), m, n, k, accumulate, maxThreads: 1);
        }
    }

    /// <summary>
    /// One band for a helper: run by whichever of the helper and the caller claims it first. Reused: a queue entry
    /// left from an earlier product (a band the caller took itself) that runs late finds the band claimed, or
    /// claims the band of the product now running, which is set up before the claim is opened.
    /// </summary>
    private sealed class BandWork<T> : IThreadPoolWorkItem
        where T : unmanaged, INumberBase<T>
    {
        /// <summary>The bands of the last product, kept for the next one.</summary>
        public static BandWork<T>[]? Cached;

        private readonly ManualResetEventSlim _done = new(false);
        private T[] _a = [], _b = [], _c = [];
        private int _aOffset, _bOffset, _cOffset, _m, _n, _k;
        private bool _transposeB, _accumulate;
        private int _claimed = 1;
        private bool _ranHere;

        public Exception? Failure { get; private set; }

        /// <summary>Sets up the band, then opens its claim (the write publishes the fields to the helper).</summary>
        public void Arm(T[] a, int aOffset, T[] b, int bOffset, bool transposeB, T[] c, int cOffset, int m, int n, int k, bool accumulate)
        {
            (_a, _aOffset, _b, _bOffset, _transposeB, _c, _cOffset, _m, _n, _k, _accumulate) = (a, aOffset, b, bOffset, transposeB, c, cOffset, m, n, k, accumulate);
            _ranHere = false;
            Failure = null;
            _done.Reset();
            Volatile.Write(ref _claimed, 0);
        }

        /// <summary>Lets go of the operands once the band is done, so that the cache keeps no array alive.</summary>
        public void Disarm() => (_a, _b, _c) = ([], [], []);

        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

        /// <summary>Runs on the helper: the band, unless the caller has taken it.</summary>
        public void Execute()
        {
            if (!TryClaim())
            {
                return;
            }

            try
            {
                RunBand();
            }
            catch (Exception e)
            {
                Failure = e;
            }
            finally
            {
                _done.Set();
            }
        }

        /// <summary>Runs on the caller, which has claimed the band.</summary>
        public void RunHere()
        {
            _ranHere = true;
            RunBand();
        }

        /// <summary>Waits for the helper if it claimed the band (a claim by the helper always ends in Set).</summary>
        public void WaitIfClaimedElsewhere()
        {
            if (!_ranHere && !TryClaim())
            {
                _done.Wait();
            }
        }

        private void RunBand() => Run(_a, _aOffset, _b, _bOffset, _transposeB, _c, _cOffset, _m, _n, _k, _accumulate);
    }
}
