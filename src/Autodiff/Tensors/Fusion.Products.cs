using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

// The fused eager forms of the products' rules (Linear, MatMul, MatMulTransposed, Conv2d): GEMM with the transposed
// operands read in place, nothing materialised, and in a plain Backward() a leaf weight's gradient written straight
// into its .Grad (accumulating, or overwriting what ZeroGrad left pending) instead of into a temporary that the sweep
// then adds.
internal static partial class Fusion
{
    /// <summary>y = x·Wᵀ + b: dx = G·W, dW = Gᵀ·x, db = the column sums of G.</summary>
    public static Tensor<T>?[] LinearBackward<T>(Tensor<T> g, Tensor<T> input, Tensor<T> weight, Tensor<T>? bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = input.Shape[0], k = input.Shape[1], n = weight.Shape[0];
        Tensor<T>? dx = null;
        if (input.GradRequired)
        {
            dx = new Tensor<T>(Tensor.Uninitialized<T>(m * k), [m, k]);
            Tensor<T>.Gemm(g.Data, 0, false, weight.Data, 0, false, dx.Data, 0, m, k, n, false);
        }

        return [dx, WeightGradient(g, input, weight, m, n, k), bias is null ? null : BiasGradient(g, bias, m, n)];
    }

    /// <summary>y = a·b for [batch,] m×k and k×n operands (a batch of 1 broadcast): dA = G·Bᵀ, dB = Aᵀ·G.</summary>
    public static Tensor<T>?[] MatMulBackward<T>(Tensor<T> g, Tensor<T> a, Tensor<T> b, int batch, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batchA = a.Rank == 3 ? a.Shape[0] : 1, batchB = b.Rank == 3 ? b.Shape[0] : 1;
        // dA[ia] += G[i]·B[ib]ᵀ and dB[ib] += A[ia]ᵀ·G[i]; a broadcast operand accumulates over the batch. In a
        // plain Backward() a leaf's gradient goes straight into its .Grad (one product per batch entry, the first
        // overwriting it when ZeroGrad left it pending).
        bool daOverwrite = false, dbOverwrite = false;
        T[]? daInto = a.GradRequired ? Tape.LeafGradDestination(a, out daOverwrite) : null;
        T[]? dbInto = b.GradRequired ? Tape.LeafGradDestination(b, out dbOverwrite) : null;
        Tensor<T>? da = a.GradRequired && daInto is null ? new(Tensor.Zeroed<T>(a.Size), a.ShapeArray()) : null;
        Tensor<T>? db = b.GradRequired && dbInto is null ? new(Tensor.Zeroed<T>(b.Size), b.ShapeArray()) : null;
        for (int i = 0; i < batch; i++)
        {
            ReadOnlySpan<T> gi = g.Data.AsSpan(i * m * n, m * n);
            if (a.GradRequired)
            {
                bool add = daInto is null || !daOverwrite || (batchA == 1 && i > 0);
                Tensor<T>.Gemm(g.Data, i * m * n, false, b.Data, batchB == 1 ? 0 : i * k * n, true, daInto ?? da!.Data, batchA == 1 ? 0 : i * m * k, m, k, n, add);
            }

            if (b.GradRequired)
            {
                bool add = dbInto is null || !dbOverwrite || (batchB == 1 && i > 0);
                Tensor<T>.Gemm(Matrix(a.Data, batchA, i, m * k), true, gi, false, MatrixOut(dbInto ?? db!.Data, batchB, i, k * n), k, n, m, add);
            }
        }

        return [da, db];
    }

    /// <summary>y = a·Wᵀ for a [m, k] and W [n, k]: da = G·W, dW = Gᵀ·a.</summary>
    public static Tensor<T>?[] MatMulTransposedBackward<T>(Tensor<T> g, Tensor<T> a, Tensor<T> weight)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = a.Shape[0], k = a.Shape[1], n = weight.Shape[0];
        Tensor<T>? da = a.GradRequired ? new(Tensor.Uninitialized<T>(m * k), [m, k]) : null;
        if (da is not null)
        {
            Tensor<T>.Gemm(g.Data, 0, false, weight.Data, 0, false, da.Data, 0, m, k, n, false);
        }

        return [da, WeightGradient(g, a, weight, m, n, k)];
    }

    /// <summary>
    /// ∂L/∂W = Gᵀ·x for y = x·Wᵀ (G [m, n], x [m, k], W [n, k]): written straight into W's .Grad during a plain
    /// Backward() (returning null), else into a new tensor; null when W needs no gradient.
    /// </summary>
    private static Tensor<T>? WeightGradient<T>(Tensor<T> g, Tensor<T> x, Tensor<T> weight, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!weight.GradRequired)
        {
            return null;
        }

        if (Tape.LeafGradDestination(weight, out bool overwrite) is { } destination)
        {
            Tensor<T>.Gemm(g.Data, true, x.Data, false, destination, n, k, m, accumulate: !overwrite);
            return null;
        }

        var dw = new Tensor<T>(Tensor.Uninitialized<T>(n * k), [n, k]);
        Tensor<T>.Gemm(g.Data, true, x.Data, false, dw.Data, n, k, m, false);
        return dw;
    }

    private static ReadOnlySpan<T> Matrix<T>(T[] data, int batches, int i, int size) => data.AsSpan(batches == 1 ? 0 : i * size, size);

    private static Span<T> MatrixOut<T>(T[] data, int batches, int i, int size) => data.AsSpan(batches == 1 ? 0 : i * size, size);

    /// <summary>∂L/∂b = the column sums of G [m, n]: into b's .Grad during a plain Backward() (returning null), else a new tensor.</summary>
    private static Tensor<T>? BiasGradient<T>(Tensor<T> g, Tensor<T> bias, int m, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!bias.GradRequired)
        {
            return null;
        }

        T[]? destination = Tape.LeafGradDestination(bias, out bool overwrite);
        Tensor<T>? db = destination is null ? new Tensor<T>(Tensor.Uninitialized<T>(n), [n]) : null;
        Reduce.ColumnSums(g.Span, m, n, destination ?? db!.Data, overwrite: db is not null || overwrite);
        return db;
    }

    /// <summary>
    /// The eager backward of <see cref="Tensor.Conv2d{T}"/> on the kept columns [k, N·L]: G as [O, N·L], then dW = G·colsᵀ
    /// (straight into W's .Grad in a plain Backward()) and dcols = Wᵀ·G as one GEMM each, db the row sums of G,
    /// dx = col2im(dcols) image by image.
    /// </summary>
    public static Tensor<T>?[] Conv2dBackward<T>(Tensor<T> g, Tensor<T> input, Tensor<T> weight, Tensor<T>? bias, T[] columns, Window2d w, int n, int c, int h, int wd, int o, int positions, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = n * positions, threads = Parallelism.MaxThreads;
        T[] gt = Tensor.Uninitialized<T>(o * width);
        Convolution.ChannelsFirst(g.Data, gt, n, o, positions, threads);
        Tensor<T>? dx = null;
        if (input.GradRequired)
        {
            dx = new Tensor<T>(Tensor.Zeroed<T>(input.Size), input.ShapeArray());
            Convolution.InputGradient(weight.Data, gt, Tensor.Uninitialized<T>(k * width), dx.Data, n, c, h, wd, o, w, threads);
        }

        Tensor<T>? dw = null;
        if (weight.GradRequired)
        {
            T[]? into = Tape.LeafGradDestination(weight, out bool overwrite);
            if (into is null)
            {
                dw = new Tensor<T>(Tensor.Uninitialized<T>(weight.Size), weight.ShapeArray());
                overwrite = true;
            }

            Convolution.WeightGradient(gt, columns, into ?? dw!.Data, o, k, width, accumulate: !overwrite, threads);
        }

        Tensor<T>? db = null;
        if (bias is not null && bias.GradRequired)
        {
            db = new Tensor<T>(Tensor.Uninitialized<T>(o), [o]);
            Convolution.BiasGradient(gt, db.Data, o, width);
        }

        return [dx, dw, db];
    }
}
