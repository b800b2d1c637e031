using System.Runtime.CompilerServices;

namespace Autodiff;

// Matrix products through the engine's own packed GEMM (src/Autodiff/Kernels/Gemm*.cs). Backward: dA = G·Bᵀ and
// dB = Aᵀ·G; in an eager sweep GEMM reads the transposed operands in place (Fusion.MatMulBackward).
public sealed partial class Tensor<T>
{
    /// <summary>
    /// The matrix product, as <c>torch.matmul</c>: 1-D·1-D is a dot product, 2-D·2-D a matrix product, a 1-D
    /// operand is treated as a row (left) or column (right) vector and that axis removed from the result, and 3-D
    /// operands are batches of matrices (a batch of 1, or a 2-D operand, is broadcast over the other's batch).
    /// </summary>
    /// <param name="other">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> MatMul(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Rank is < 1 or > 3 || other.Rank is < 1 or > 3)
        {
            Shapes.Throw(nameof(MatMul), $"{Shapes.Format(_shape)} × {Shapes.Format(other._shape)}: operands must have 1, 2 or 3 dimensions.", file, line);
        }

        Tensor<T> a = Rank == 1 ? Reshape([1, Size], file, line) : this;
        Tensor<T> b = other.Rank == 1 ? other.Reshape([other.Size, 1], file, line) : other;
        Tensor<T> y = a.MatMulCore(b, file, line);
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

    /// <summary>Product of 2-D/3-D operands with batch broadcasting.</summary>
    private Tensor<T> MatMulCore(Tensor<T> other, string? file, int line)
    {
        int m = _shape[^2], k = _shape[^1], k2 = other._shape[^2], n = other._shape[^1];
        int batchA = Rank == 3 ? _shape[0] : 1, batchB = other.Rank == 3 ? other._shape[0] : 1;
        if (k != k2)
        {
            Shapes.Throw(nameof(MatMul), $"{Shapes.Format(_shape)} × {Shapes.Format(other._shape)} — inner dimensions {k} ≠ {k2}; the last axis of the left operand must " +
                "match the first matrix axis of the right one (is one of them transposed?).", file, line);
        }

        if (batchA != batchB && batchA != 1 && batchB != 1)
        {
            Shapes.Throw(nameof(MatMul), $"{Shapes.Format(_shape)} × {Shapes.Format(other._shape)} — batch sizes {batchA} and {batchB} do not broadcast.", file, line);
        }

        int batch = Math.Max(batchA, batchB);
        int[] shape = Rank == 3 || other.Rank == 3 ? [batch, m, n] : [m, n];
        var data = Tensor.Uninitialized<T>(batch * m * n);
        Kernels.Gemm.MultiplyBatched(Data, batchA, other.Data, batchB, data, batch, m, n, k, Parallelism.MaxThreads);

        var y = new Tensor<T>(data, shape);
        Tensor<T> a = this, b = other;
        return Autograd.Record(nameof(MatMul), y, g => Fusion.Composed
            ? [g.MatMulCore(b.Transpose(), file, line), a.Transpose().MatMulCore(g, file, line)]
            : Fusion.MatMulBackward(g, a, b, batch, m, n, k), file, line, this, other);
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
