using System.Runtime.CompilerServices;

namespace Autodiff;

// Matrix products through the engine's own packed GEMM (src/Autodiff/Kernels/Gemm*.cs). Backward: dA = G·Bᵀ and
// dB = Aᵀ·G; in an eager sweep GEMM reads the transposed operands in place (Fusion.MatMulBackward), and a 2-D case
// takes no batch plan at all (the MLP's products allocate nothing beyond their results).
public sealed partial class Tensor<T>
{
    /// <summary>
    /// The matrix product, as <c>torch.matmul</c>: 1-D·1-D is a dot product, 2-D·2-D a matrix product, a 1-D operand
    /// is treated as a row (left) or column (right) vector and that axis removed from the result, and operands of more
    /// dimensions are batches of matrices whose leading axes broadcast NumPy-style ([B, H, T, D] · [B, H, D, T],
    /// [B, T, D] · [D, E], [2, 1, m, k] · [3, k, n] → [2, 3, m, n]). One call of the batched GEMM per product.
    /// </summary>
    /// <remarks>Backward: dA = G·Bᵀ, dB = Aᵀ·G, summed over the batch axes an operand was broadcast along.</remarks>
    /// <param name="other">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> MatMul(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank == 0 || other.Rank == 0)
        {
            Shapes.Throw(nameof(MatMul), $"{Shapes.Format(_shape)} × {Shapes.Format(other._shape)}: both operands need at least 1 dimension (use Mul for a scalar).", file, line);
        }

        Tensor<T> a = Rank == 1 ? Reshape([1, Size], file, line) : this;
        Tensor<T> b = other.Rank == 1 ? other.Reshape([other.Size, 1], file, line) : other;
        Tensor<T> y = a.MatMulCore(b, _shape, other._shape, file, line);
        if (Rank == 1 || other.Rank == 1)
        {
            List<int> shape = [.. y._shape];
            if (other.Rank == 1)
            {
                shape.RemoveAt(shape.Count - 1);
            }

            if (Rank == 1)
            {
                shape.RemoveAt(shape.Count - (other.Rank == 1 ? 1 : 2));
            }

            y = y.Reshape(shape.ToArray(), file, line);
        }

        return y;
    }

    /// <summary>Product of operands of rank ≥ 2 with their batch axes broadcast; the user's shapes are for messages.</summary>
    private Tensor<T> MatMulCore(Tensor<T> other, ReadOnlySpan<int> userA, ReadOnlySpan<int> userB, string? file, int line)
    {
        int m = _shape[^2], k = _shape[^1], k2 = other._shape[^2], n = other._shape[^1];
        string shapes = userA.Length == 1 && userB.Length == 1 ? $"{Shapes.Format(userA)} · {Shapes.Format(userB)}" : $"{Shapes.Format(userA)} × {Shapes.Format(userB)}";
        if (k != k2)
        {
            Shapes.Throw(nameof(MatMul), $"{shapes} — inner dimensions {k} ≠ {k2}; the last axis of the left operand must " +
                "match the first matrix axis of the right one (is one of them transposed?).", file, line);
        }

        ReadOnlySpan<int> batchA = _shape.AsSpan(0, Rank - 2), batchB = other._shape.AsSpan(0, other.Rank - 2);
        int[] batchShape = Shapes.BroadcastOrNull(batchA, batchB)
            ?? throw Shapes.Error(nameof(MatMul), $"{shapes} — batch axes {Shapes.Format(batchA)} and {Shapes.Format(batchB)} do not broadcast (each pair equal, or one of them 1).", file, line);
        int batch = Shapes.Size(batchShape);
        var y = new Tensor<T>(Tensor.Uninitialized<T>(batch * m * n), [.. batchShape, m, n]);
        BatchPlan? plan = Rank == 2 && other.Rank == 2 ? null : new BatchPlan(batchA, batchB, batchShape, m, n, k);
        if (plan is { } p)
        {
            Kernels.Gemm.MultiplyBatched(Data, p.A, false, other.Data, p.B, false, y.Data, p.C, m, n, k, false, distinctOutputs: true, Parallelism.MaxThreads);
        }
        else
        {
            Gemm(Data, 0, false, other.Data, 0, false, y.Data, 0, m, n, k, false);
        }

        Tensor<T> a = this, b = other;
        return Autograd.Record(nameof(MatMul), y, g => Fusion.Composed
            ? [g.MatMul(b.Transpose(), file, line), a.Transpose().MatMul(g, file, line)]
            : Fusion.MatMulBackward(g, a, b, plan ?? new BatchPlan([], [], [], m, n, k)), file, line, this, other);
    }

    /// <summary>Where each product of a batched MatMul reads A and B and writes C, as flat offsets.</summary>
    internal readonly struct BatchPlan
    {
        public BatchPlan(ReadOnlySpan<int> batchA, ReadOnlySpan<int> batchB, ReadOnlySpan<int> batchShape, int m, int n, int k)
        {
            A = Kernels.Strides.BroadcastOffsets(batchA, batchShape, m * k);
            B = Kernels.Strides.BroadcastOffsets(batchB, batchShape, k * n);
            C = Kernels.Strides.BroadcastOffsets(batchShape, batchShape, m * n);
            (M, N, K) = (m, n, k);
            BroadcastA = Shapes.Size(batchA) != C.Length;
            BroadcastB = Shapes.Size(batchB) != C.Length;
        }

        public int[] A { get; }

        public int[] B { get; }

        public int[] C { get; }

        public int M { get; }

        public int N { get; }

        public int K { get; }

        /// <summary>Whether several products read the same matrix of A (its gradient then accumulates over them).</summary>
        public bool BroadcastA { get; }

        /// <summary>Whether several products read the same matrix of B.</summary>
        public bool BroadcastB { get; }
    }

    /// <summary>
    /// x·otherᵀ for matrices x [m, k] and other [n, k] — the product of a linear layer with its [out, in] weight —
    /// without materialising the transpose: GEMM reads <paramref name="other"/> transposed in place, forwards and
    /// backwards.
    /// </summary>
    /// <remarks>Backward: dx = G·other, dother = Gᵀ·x.</remarks>
    /// <param name="other">The right operand, stored [n, k].</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> MatMulTransposed(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank != 2 || other.Rank != 2 || _shape[1] != other._shape[1])
        {
            Shapes.Throw(nameof(MatMulTransposed), $"{Shapes.Format(_shape)} × {Shapes.Format(other._shape)}ᵀ: needs matrices [m, k] and [n, k].", file, line);
        }

        int m = _shape[0], k = _shape[1], n = other._shape[0];
        var data = Tensor.Uninitialized<T>(m * n);
        Gemm(Data, 0, false, other.Data, 0, true, data, 0, m, n, k, false);
        var y = new Tensor<T>(data, [m, n]);
        Tensor<T> a = this;
        return Autograd.Record(nameof(MatMulTransposed), y, g => Fusion.Composed
            ? [g.MatMul(other), g.Transpose().MatMul(a)]
            : Fusion.MatMulTransposedBackward(g, a, other), file, line, this, other);
    }

    /// <summary>C (m×n) = op(A)·op(B), or += when accumulating, for matrices at offsets in arrays, on up to <see cref="Parallelism.MaxThreads"/> threads.</summary>
    internal static void Gemm(T[] a, int aOffset, bool transposeA, T[] b, int bOffset, bool transposeB, T[] c, int cOffset, int m, int n, int k, bool accumulate)
        => Kernels.Gemm.Multiply(a, aOffset, transposeA, b, bOffset, transposeB, c, cOffset, m, n, k, accumulate, Parallelism.MaxThreads);

    /// <summary>C (m×n) = op(A)·op(B), or += when accumulating, on up to <see cref="Parallelism.MaxThreads"/> threads.</summary>
    internal static void Gemm(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c, int m, int n, int k, bool accumulate)
        => Kernels.Gemm.Multiply(a, transposeA, b, transposeB, c, m, n, k, accumulate, Parallelism.MaxThreads);
}
