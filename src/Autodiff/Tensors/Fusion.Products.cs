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

    /// <summary>
    /// y = a·b for operands of rank ≥ 2 (batch axes broadcast): dA = G·Bᵀ, dB = Aᵀ·G, each one batched GEMM reading
    /// the transposes in place, accumulating over the products that share a broadcast matrix.
    /// </summary>
    public static Tensor<T>?[] MatMulBackward<T>(Tensor<T> g, Tensor<T> a, Tensor<T> b, Tensor<T>.BatchPlan plan)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = plan.M, n = plan.N, k = plan.K, threads = Parallelism.MaxThreads;
        Tensor<T>? da = null, db = null;
        if (a.GradRequired)
        {
            // Accumulated into (a zeroed buffer, or the leaf's .Grad), so that broadcast products add up where they share a matrix.
            T[] into = GradientBuffer(a, out da);
            Kernels.Gemm.MultiplyBatched(g.Data, plan.C, false, b.Data, plan.B, true, into, plan.A, m, k, n, accumulate: true, !plan.BroadcastA, threads);
        }

        if (b.GradRequired)
        {
            T[] into = GradientBuffer(b, out db);
            Kernels.Gemm.MultiplyBatched(a.Data, plan.A, true, g.Data, plan.C, false, into, plan.B, k, n, m, accumulate: true, !plan.BroadcastB, threads);
        }

        return [da, db];
    }

    /// <summary>
    /// Where an operand's gradient is accumulated: its leaf .Grad in a plain Backward() (cleared first when ZeroGrad
    /// left it pending; the tensor returned is then null), else a new zeroed tensor.
    /// </summary>
    private static T[] GradientBuffer<T>(Tensor<T> x, out Tensor<T>? tensor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape.LeafGradDestination(x, out bool overwrite) is { } destination)
        {
            tensor = null;
            if (overwrite)
            {
                Array.Clear(destination);
            }

            return destination;
        }

        tensor = new Tensor<T>(Tensor.Zeroed<T>(x.Size), x.ShapeArray());
        return tensor.Data;
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

    /// <summary>
    /// Attention's backward strip by strip from the saved log-sum-exp (<see cref="Kernels.Attention.Backward{T}"/>):
    /// the [Tq, Tk] weights are never held whole.
    /// </summary>
    public static Tensor<T>?[] AttentionBackward<T>(Tensor<T> g, Tensor<T> query, Tensor<T> key, Tensor<T> value, T[] lse, int heads, int tq, int tk, int d, int dv, T scale, AttentionMask<T> mask, AttentionDropout dropout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T>? dq = query.GradRequired ? new Tensor<T>(Tensor.Uninitialized<T>(query.Size), query.ShapeArray()) : null;
        Tensor<T>? dk = key.GradRequired ? new Tensor<T>(Tensor.Zeroed<T>(key.Size), key.ShapeArray()) : null;
        Tensor<T>? dvT = value.GradRequired ? new Tensor<T>(Tensor.Zeroed<T>(value.Size), value.ShapeArray()) : null;
        Kernels.Attention.Backward(query.Data, key.Data, value.Data, lse, g.Data, dq?.Data, dk?.Data, dvT?.Data, heads, tq, tk, d, dv, scale, mask, dropout, Parallelism.MaxThreads);
        return [dq, dk, dvT];
    }
}
