using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autodiff;

// Matrix products through the engine's own packed GEMM (src/Autodiff/Kernels/Gemm*.cs). Backward: dA = G·Bᵀ and
// dB = Aᵀ·G, computed eagerly by GEMM with transposed operands read in place (nothing is materialised), or with
// tensor ops when the sweep is being recorded.
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
        for (int i = 0; i < batch; i++)
        {
            Gemm(Data, batchA == 1 ? 0 : i * m * k, false, other.Data, batchB == 1 ? 0 : i * k * n, false, data, i * m * n, m, n, k, false);
        }

        var y = new Tensor<T>(data, shape);
        Tensor<T> a = this, b = other;
        return Autograd.Record(nameof(MatMul), y, g =>
        {
            if (Autograd.IsRecording)
            {
                return [g.MatMulCore(b.Transpose(), file, line), a.Transpose().MatMulCore(g, file, line)];
            }

            // dA[ia] += G[i]·B[ib]ᵀ and dB[ib] += A[ia]ᵀ·G[i]; a broadcast operand accumulates over the batch. In a
            // plain Backward() a leaf's gradient goes straight into its .Grad (one product per batch entry, the first
            // overwriting it when ZeroGrad left it pending).
            bool daOverwrite = false, dbOverwrite = false;
            T[]? daInto = a.GradRequired ? Tape.LeafGradDestination(a, out daOverwrite) : null;
            T[]? dbInto = b.GradRequired ? Tape.LeafGradDestination(b, out dbOverwrite) : null;
            Tensor<T>? da = a.GradRequired && daInto is null ? new(Tensor.Zeroed<T>(a.Size), a._shape) : null;
            Tensor<T>? db = b.GradRequired && dbInto is null ? new(Tensor.Zeroed<T>(b.Size), b._shape) : null;
            for (int i = 0; i < batch; i++)
            {
                ReadOnlySpan<T> gi = g.Data.AsSpan(i * m * n, m * n);
                if (a.GradRequired)
                {
                    bool add = daInto is null || !daOverwrite || (batchA == 1 && i > 0);
                    Gemm(g.Data, i * m * n, false, b.Data, batchB == 1 ? 0 : i * k * n, true, daInto ?? da!.Data, batchA == 1 ? 0 : i * m * k, m, k, n, add);
                }

                if (b.GradRequired)
                {
                    bool add = dbInto is null || !dbOverwrite || (batchB == 1 && i > 0);
                    Gemm(Matrix(a.Data, batchA, i, m * k), true, gi, false, MatrixOut(dbInto ?? db!.Data, batchB, i, k * n), k, n, m, add);
                }
            }

            return [da, db];
        }, file, line, this, other);
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
        return Autograd.Record(nameof(MatMulTransposed), y, g =>
        {
            if (Autograd.IsRecording)
            {
                return [g.MatMul(other), g.Transpose().MatMul(a)];
            }

            Tensor<T>? da = a.GradRequired ? new(Tensor.Uninitialized<T>(m * k), [m, k]) : null;
            if (da is not null)
            {
                Gemm(g.Data, 0, false, other.Data, 0, false, da.Data, 0, m, k, n, false);
            }

            return [da, WeightGradient(g, a, other, m, n, k)];
        }, file, line, this, other);
    }

    /// <summary>
    /// ∂L/∂W = Gᵀ·x for y = x·Wᵀ (G [m, n], x [m, k], W [n, k]): written straight into W's .Grad during a plain
    /// Backward() (returning null), else into a new tensor; null when W needs no gradient.
    /// </summary>
    internal static Tensor<T>? WeightGradient(Tensor<T> g, Tensor<T> x, Tensor<T> weight, int m, int n, int k)
    {
        if (!weight.GradRequired)
        {
            return null;
        }

        if (Tape.LeafGradDestination(weight, out bool overwrite) is { } destination)
        {
            Gemm(g.Data, true, x.Data, false, destination, n, k, m, accumulate: !overwrite);
            return null;
        }

        var dw = new Tensor<T>(Tensor.Uninitialized<T>(n * k), [n, k]);
        Gemm(g.Data, true, x.Data, false, dw.Data, n, k, m, false);
        return dw;
    }

    private static ReadOnlySpan<T> Matrix(T[] data, int batches, int i, int size) => data.AsSpan(batches == 1 ? 0 : i * size, size);

    private static Span<T> MatrixOut(T[] data, int batches, int i, int size) => data.AsSpan(batches == 1 ? 0 : i * size, size);

    /// <summary>
    /// C (m×n) = op(A)·op(B), or += when accumulating, for matrices at offsets in arrays: with several threads and a
    /// small op(B), one band of rows per thread (<see cref="Kernels.GemmRowBands"/>), else the span kernel.
    /// </summary>
    internal static void Gemm(T[] a, int aOffset, bool transposeA, T[] b, int bOffset, bool transposeB, T[] c, int cOffset, int m, int n, int k, bool accumulate)
    {
        int bands = Kernels.GemmRowBands.Bands(transposeA, m, n, k, Parallelism.MaxThreads);
        if (bands > 1)
        {
            Kernels.GemmRowBands.Multiply(a, aOffset, b, bOffset, transposeB, c, cOffset, m, n, k, accumulate, bands);
            return;
        }

        Gemm(a.AsSpan(aOffset, m * k), transposeA, b.AsSpan(bOffset, k * n), transposeB, c.AsSpan(cOffset, m * n), m, n, k, accumulate);
    }

    /// <summary>C (m×n) = op(A)·op(B), or += when accumulating; dispatches to the float or double kernel.</summary>
    internal static void Gemm(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c, int m, int n, int k, bool accumulate)
    {
        int threads = Parallelism.MaxThreads;
        if (typeof(T) == typeof(float))
        {
            Kernels.Gemm.Multiply(MemoryMarshal.Cast<T, float>(a), transposeA, MemoryMarshal.Cast<T, float>(b), transposeB, MemoryMarshal.Cast<T, float>(c), m, n, k, accumulate, threads);
        }
        else
        {
            Kernels.Gemm.Multiply(MemoryMarshal.Cast<T, double>(a), transposeA, MemoryMarshal.Cast<T, double>(b), transposeB, MemoryMarshal.Cast<T, double>(c), m, n, k, accumulate, threads);
        }
    }
}
