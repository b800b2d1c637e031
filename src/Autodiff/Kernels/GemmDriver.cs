using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>
/// The blocked, packed matrix multiply behind <see cref="Gemm"/>, compiled once per element type and
/// micro-kernel so that the tile and block sizes are constants in the loops.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TKernel">The register-tile micro-kernel.</typeparam>
/// <remarks>
/// <para>
/// The product is cut into tasks, each a band of C over the whole of k: bands of rows when op(A) has at least as
/// many rows as op(B) has columns (m ≥ n), bands of columns otherwise. The operand that every task needs (all of
/// op(B) for row bands, all of op(A) for column bands) is packed once, up front; each task then packs its own
/// piece of the other operand and multiplies. Either way every element of A and B is packed exactly once, and
/// the operand packed up front is the smaller one, which matters when threads wait for it.
/// </para>
/// <para>
/// Threads cannot share a <see cref="Span{T}"/>, and without unsafe code there is no way to pin one. So only
/// the calling thread reads A and B and writes C: it packs every piece into one pooled array, publishing them
/// one by one, while the helper threads take tasks in order, wait for their piece and write their band into
/// a pooled copy of C, which the calling thread copies into C as they finish (see <see cref="ParallelState"/>).
/// </para>
/// </remarks>
internal static partial class GemmDriver<T, TKernel>
    where T : unmanaged, INumberBase<T>
    where TKernel : struct, IGemmMicroKernel<T>
{
    /// <summary>Multiplies; the arguments have been validated and m, n, k are all positive.</summary>
    /// <param name="a">A, exactly m·k elements.</param>
    /// <param name="transposeA">Whether A is stored k×m.</param>
    /// <param name="b">B, exactly k·n elements.</param>
    /// <param name="transposeB">Whether B is stored n×k.</param>
    /// <param name="c">C, exactly m·n elements, not overlapping A or B.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">The shared dimension.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <param name="maxThreads">The most threads to use, at least 1.</param>
    public static void Run(
        ReadOnlySpan<T> a,
        bool transposeA,
        ReadOnlySpan<T> b,
        bool transposeB,
        Span<T> c,
        int m,
        int n,
        int k,
        bool accumulate,
        int maxThreads)
    {
        var operands = new Operands(a, transposeA, b, transposeB, m, n, k);
        int threads = GemmPlan.ChooseThreads(m, n, k, maxThreads);
        var plan = GemmPlan.Create(m, n, k, TKernel.Mr, TKernel.Nr, TKernel.Mc, threads);
        if (plan.Threads > 1)
        {
            RunParallel(in operands, c, plan, accumulate);
        }
        else
        {
            RunSerial(in operands, c, plan, accumulate);
        }
    }

    /// <summary>One thread: pack the shared operand, then pack and multiply one task at a time.</summary>
    private static void RunSerial(in Operands operands, Span<T> c, GemmPlan plan, bool accumulate)
    {
        // The piece buffer is reused by every task, so the piece just packed is still in L2 when it is read.
        T[] shared = ArrayPool<T>.Shared.Rent(plan.SharedLength);
        T[] piece = ArrayPool<T>.Shared.Rent(plan.PieceLength);
        try
        {
            PackShared(in operands, plan, shared);
            Span<T> edge = stackalloc T[TKernel.Mr * TKernel.Nr];
            for (int t = 0; t < plan.TaskCount; t++)
            {
                PackPiece(in operands, plan, t, piece);
                ComputeTask(
                    plan, t, ref shared[0], ref piece[0], ref MemoryMarshal.GetReference(c), accumulate, edge);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(piece);
            ArrayPool<T>.Shared.Return(shared);
        }
    }

    /// <summary>
    /// Multiplies task <paramref name="task"/>: its band of C over the whole of k, from the packed operands.
    /// </summary>
    /// <param name="plan">The cut of the product into tasks.</param>
    /// <param name="task">Which band.</param>
    /// <param name="shared">The packed operand that all tasks share (op(B) for row bands, op(A) for column bands).</param>
    /// <param name="piece">This task's packed piece of the other operand.</param>
    /// <param name="c">Element (0, 0) of the m×n matrix to write, with rows n apart.</param>
    /// <param name="accumulate">Add to the band instead of overwriting it.</param>
    /// <param name="edge">Scratch for one Mr×Nr tile, where partial tiles at the matrix edge are computed.</param>
    private static void ComputeTask(
        GemmPlan plan, int task, ref T shared, ref T piece, ref T c, bool accumulate, Span<T> edge)
    {
        int start = task * plan.TaskSize;
        int length = Math.Min(plan.TaskSize, plan.AlongN ? plan.N - start : plan.M - start);
        if (plan.AlongN)
        {
            ComputeBlock(ref shared, ref piece, plan.M, length, plan.K, ref Unsafe.Add(ref c, start), plan.N, accumulate, edge);
        }
        else
        {
            ComputeBlock(ref piece, ref shared, length, plan.N, plan.K, ref Unsafe.Add(ref c, (nint)start * plan.N), plan.N, accumulate, edge);
        }
    }

    /// <summary>
    /// C (rows×cols) = (or +=) packed A (rows×k, in Mr-row panels) times packed B (k×cols, in Nr-column
    /// panels): the Kc, Mc, Nr and Mr loops of the GotoBLAS algorithm around the micro-kernel.
    /// </summary>
    private static void ComputeBlock(
        ref T a, ref T b, int rows, int cols, int k, ref T c, nint ldc, bool accumulate, Span<T> edge)
    {
        int mr = TKernel.Mr;
        int nr = TKernel.Nr;
        nint aPanelLength = (nint)k * mr;
        nint bPanelLength = (nint)k * nr;
        ref T edgeTile = ref MemoryMarshal.GetReference(edge);

        // Passes of equal depth rather than full ones and a remainder: k = 784 is four passes of 196, not three
        // of 256 and a last one of 16 that would pay for loading and storing C with almost no arithmetic.
        int passes = (k + TKernel.Kc - 1) / TKernel.Kc;
        int depth = (k + passes - 1) / passes;
        for (int pc = 0; pc < k; pc += depth)
        {
            int kc = Math.Min(depth, k - pc);

            // The first pass over k writes C (unless the caller asked to accumulate); the later ones add to it.
            bool add = accumulate || pc > 0;
            for (int ic = 0; ic < rows; ic += TKernel.Mc)
            {
                int icEnd = Math.Min(ic + TKernel.Mc, rows);
                for (int jr = 0; jr < cols; jr += nr)
                {
                    int width = Math.Min(nr, cols - jr);
                    ref T bPanel = ref Unsafe.Add(ref b, (jr / nr * bPanelLength) + ((nint)pc * nr));
                    for (int ir = ic; ir < icEnd; ir += mr)
                    {
                        int height = Math.Min(mr, rows - ir);
                        ref T aPanel = ref Unsafe.Add(ref a, (ir / mr * aPanelLength) + ((nint)pc * mr));
                        ref T cTile = ref Unsafe.Add(ref c, (ir * ldc) + jr);
                        if (height == mr && width == nr)
                        {
                            TKernel.Run(kc, ref aPanel, ref bPanel, ref cTile, ldc, add);
                        }
                        else
                        {
                            // The packed panels are zero-padded, so the kernel computes a full tile; only the
                            // part inside C is kept.
                            TKernel.Run(kc, ref aPanel, ref bPanel, ref edgeTile, nr, add: false);
                            StoreEdge(ref edgeTile, ref cTile, ldc, height, width, add);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Writes (or adds) the top-left height×width part of an Mr×Nr tile into C.</summary>
    private static void StoreEdge(ref T tile, ref T c, nint ldc, int height, int width, bool add)
    {
        for (int i = 0; i < height; i++)
        {
            ref T from = ref Unsafe.Add(ref tile, i * TKernel.Nr);
            ref T to = ref Unsafe.Add(ref c, i * ldc);
            for (int j = 0; j < width; j++)
            {
                Unsafe.Add(ref to, j) = add ? Unsafe.Add(ref to, j) + Unsafe.Add(ref from, j) : Unsafe.Add(ref from, j);
            }
        }
    }

    /// <summary>The two input matrices as the packing routines see them.</summary>
    private readonly ref struct Operands
    {
        public Operands(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, int m, int n, int k)
        {
            A = a;
            TransposeA = transposeA;
            B = b;
            TransposeB = transposeB;
            M = m;
            N = n;
            K = k;
        }

        /// <summary>Gets A as stored: m×k, or k×m when <see cref="TransposeA"/>.</summary>
        public ReadOnlySpan<T> A { get; }

        /// <summary>Gets a value indicating whether A is stored k×m.</summary>
        public bool TransposeA { get; }

        /// <summary>Gets B as stored: k×n, or n×k when <see cref="TransposeB"/>.</summary>
        public ReadOnlySpan<T> B { get; }

        /// <summary>Gets a value indicating whether B is stored n×k.</summary>
        public bool TransposeB { get; }

        /// <summary>Gets the rows of op(A).</summary>
        public int M { get; }

        /// <summary>Gets the columns of op(B).</summary>
        public int N { get; }

        /// <summary>Gets the shared dimension.</summary>
        public int K { get; }
    }
}

/// <summary>How a product is cut into tasks, and how big the packed buffers are.</summary>
internal readonly struct GemmPlan
{
    /// <summary>
    /// Below this many floating-point operations (2·m·n·k) one thread does everything: waking a pool thread,
    /// handing it work and copying its band back costs several microseconds, as much as the whole product.
    /// </summary>
    internal const long ParallelMinFlops = 2L * 96 * 96 * 96;

    /// <summary>
    /// Tasks per thread when several threads share a product: enough that a thread slowed down by something
    /// else on its core leaves its share to the others, few enough that each task reuses its packed B panels.
    /// </summary>
    private const int TasksPerThread = 4;

    /// <summary>The size of one column band's packed piece of B with one thread, in elements (128 KiB of floats).</summary>
    private const int PieceElements = 32 * 1024;

    /// <summary>Gets the rows of C.</summary>
    public int M { get; init; }

    /// <summary>Gets the columns of C.</summary>
    public int N { get; init; }

    /// <summary>Gets the shared dimension.</summary>
    public int K { get; init; }

    /// <summary>Gets a value indicating whether tasks are bands of columns (true) or of rows (false).</summary>
    public bool AlongN { get; init; }

    /// <summary>Gets the rows (or columns) of one task; a multiple of Mr (or Nr). The last task may be shorter.</summary>
    public int TaskSize { get; init; }

    /// <summary>Gets the number of tasks.</summary>
    public int TaskCount { get; init; }

    /// <summary>Gets the number of threads, the calling one included.</summary>
    public int Threads { get; init; }

    /// <summary>Gets the length of the packed shared operand (whole panels, zero-padded).</summary>
    public int SharedLength { get; init; }

    /// <summary>Gets the length of one task's packed piece.</summary>
    public int PieceLength { get; init; }

    /// <summary>How many threads a product deserves.</summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The shared dimension.</param>
    /// <param name="maxThreads">The caller's limit.</param>
    /// <returns>1 for small products, otherwise the caller's limit capped by the processor count.</returns>
    public static int ChooseThreads(int m, int n, int k, int maxThreads)
    {
        if (maxThreads <= 1 || 2L * m * n * k < ParallelMinFlops)
        {
            return 1;
        }

        return Math.Min(maxThreads, Environment.ProcessorCount);
    }

    /// <summary>Cuts a product into tasks.</summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The shared dimension.</param>
    /// <param name="mr">The micro-kernel's rows.</param>
    /// <param name="nr">The micro-kernel's columns.</param>
    /// <param name="mc">The micro-kernel's row block.</param>
    /// <param name="threads">How many threads will work on it.</param>
    /// <returns>The plan; with one thread, as few tasks as the blocking allows.</returns>
    public static GemmPlan Create(int m, int n, int k, int mr, int nr, int mc, int threads)
    {
        // Pack up front the operand that is smaller: with threads, nobody can start before it is done.
        bool alongN = m < n;
        int extent = alongN ? n : m;
        int unit = alongN ? nr : mr;
        int size;
        if (threads == 1)
        {
            // Row bands of Mc rows keep the packed A block in L2. Column bands are sized the same way: about
            // Mc·Kc·4 bytes of B, so that the piece just packed is still in L2 when the kernel reads it.
            size = alongN ? Math.Min(RoundUp(n, nr), Math.Max(nr, PieceElements / k / nr * nr)) : mc;
        }
        else
        {
            size = RoundUp(DivideRoundingUp(extent, threads * TasksPerThread), unit);
            if (!alongN)
            {
                size = Math.Min(size, mc);
            }
        }

        int taskCount = DivideRoundingUp(extent, size);
        long sharedLength = alongN ? (long)RoundUp(m, mr) * k : (long)RoundUp(n, nr) * k;
        long pieceLength = (long)size * k;
        if (sharedLength > Array.MaxLength || pieceLength * (threads > 1 ? taskCount : 1) > Array.MaxLength)
        {
            throw new ArgumentException(
                $"Gemm: the {m}×{k} by {k}×{n} product is too large to pack into arrays.");
        }

        return new GemmPlan
        {
            M = m,
            N = n,
            K = k,
            AlongN = alongN,
            TaskSize = size,
            TaskCount = taskCount,
            Threads = Math.Min(threads, taskCount),
            SharedLength = (int)sharedLength,
            PieceLength = (int)pieceLength,
        };
    }

    private static int DivideRoundingUp(int value, int divisor) => (int)(((long)value + divisor - 1) / divisor);

    private static int RoundUp(int value, int multiple) => DivideRoundingUp(value, multiple) * multiple;
}
