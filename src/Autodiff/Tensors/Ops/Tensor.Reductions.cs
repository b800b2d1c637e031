using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Reductions over all axes or over given axes, with keepDim as in PyTorch. Each axis is reduced as a contiguous
// (outer, length, inner) block, so every reduction runs through TensorPrimitives over whole runs.
public sealed partial class Tensor<T>
{
    private Tensor<T> ReduceAxes<TKernel>(int[] axes, bool keepDim, string op, string? file, int line)
        where TKernel : IReduceKernel<T>
    {
        T[] data = Data;
        Span<int> shape = stackalloc int[_shape.Length]; // the shape after each pass: reduced axes become 1
        _shape.CopyTo(shape);
        for (int r = axes.Length - 1; r >= 0; r--)
        {
            int axis = axes[r];
            (int outer, int length, int inner) = Shapes.AroundAxis(shape, axis);
            if (length == 0 && typeof(TKernel) != typeof(SumReduce<T>))
            {
                Shapes.Throw(op, $"cannot reduce the empty axis {axis} of shape {Shapes.Format(_shape)}.", file, line);
            }

            // Only the last pass makes the result; earlier passes' arrays are the op's own scratch, never lent.
            var reduced = axis == axes[0] ? Tensor.Uninitialized<T>(outer * inner) : GC.AllocateUninitializedArray<T>(outer * inner);
            if (length > 0)
            {
                Reduce.Axis<T, TKernel>(data, reduced, outer, length, inner);
            }
            else
            {
                Array.Clear(reduced); // the sum over nothing
            }

            data = reduced;
            shape[axis] = 1;
        }

        return new(data, Shapes.Reduced(_shape, axes, keepDim));
    }

    /// <summary>The sum over the given axes (all when none are given).</summary>
    /// <remarks>Backward: g broadcast back over the summed axes.</remarks>
    /// <param name="axes">The axes to sum over; negative counts from the end.</param>
    /// <param name="keepDim">Keep the summed axes as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Sum(int[]? axes = null, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int[] a = Shapes.Axes(axes, Shape, nameof(Sum), file, line);
        Tensor<T> y = ReduceAxes<SumReduce<T>>(a, keepDim, nameof(Sum), file, line);
        int[] kept = Shapes.Reduced(_shape, a, keepDim: true);
        return Autograd.Record(nameof(Sum), y, g => [g.Reshape(kept).BroadcastTo(_shape)], file, line, this).Traced("axes", a).Traced("keepDim", keepDim);
    }

    /// <summary>The sum over one axis.</summary>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDim">Keep it as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Sum(int axis, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Sum([axis], keepDim, file, line);

    /// <summary>The mean over the given axes (all when none are given).</summary>
    /// <remarks>Backward: g / count, broadcast back.</remarks>
    /// <param name="axes">The axes to average over.</param>
    /// <param name="keepDim">Keep the averaged axes as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Mean(int[]? axes = null, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int[] a = Shapes.Axes(axes, Shape, nameof(Mean), file, line);
        int count = 1;
        foreach (int axis in a)
        {
            count *= _shape[axis];
        }

        return Sum(a, keepDim, file, line).Mul(T.One / T.CreateChecked(count), file, line);
    }

    /// <summary>The mean over one axis.</summary>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDim">Keep it as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Mean(int axis, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Mean([axis], keepDim, file, line);

    /// <summary>The maximum over the given axes (all when none are given).</summary>
    /// <remarks>Backward: g to the maxima, split evenly among tied maxima (as PyTorch's <c>amax</c>).</remarks>
    /// <param name="axes">The axes to reduce.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Max(int[]? axes = null, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Extremum<MaxReduce<T>>(axes, keepDim, nameof(Max), file, line);

    /// <summary>The maximum over one axis.</summary>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDim">Keep it as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Max(int axis, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Max([axis], keepDim, file, line);

    /// <summary>The minimum over the given axes (all when none are given).</summary>
    /// <remarks>Backward: g to the minima, split evenly among ties.</remarks>
    /// <param name="axes">The axes to reduce.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Min(int[]? axes = null, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Extremum<MinReduce<T>>(axes, keepDim, nameof(Min), file, line);

    /// <summary>The minimum over one axis.</summary>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDim">Keep it as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Min(int axis, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Min([axis], keepDim, file, line);

    private Tensor<T> Extremum<TKernel>(int[]? axes, bool keepDim, string op, string? file, int line)
        where TKernel : IReduceKernel<T>
    {
        int[] a = Shapes.Axes(axes, Shape, op, file, line);
        Tensor<T> y = ReduceAxes<TKernel>(a, keepDim, op, file, line);
        int[] kept = Shapes.Reduced(_shape, a, keepDim: true);
        return Autograd.Record(op, y, g =>
        {
            Tensor<T> hits = Eq(y.Detach().Reshape(kept));                // 1 at every (tied) extremum
            Tensor<T> share = hits.Div(hits.Sum(a, keepDim: true));       // split evenly among ties
            return [share.Mul(g.Reshape(kept))];
        }, file, line, this).Traced("axes", a).Traced("keepDim", keepDim);
    }

    /// <summary>
    /// log Σ exp(x) over the given axes, computed stably as m + log Σ exp(x − m) with m the maximum; −∞ over an empty
    /// axis.
    /// </summary>
    /// <remarks>Backward: g·softmax(x) over the axes (composed from differentiable ops).</remarks>
    /// <param name="axes">The axes to reduce (all when none are given).</param>
    /// <param name="keepDim">Keep the reduced axes as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> LogSumExp(int[]? axes = null, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int[] a = Shapes.Axes(axes, Shape, nameof(LogSumExp), file, line);
        using OpTrace.Composite trace = OpTrace.BeginComposite();
        // The shift m only guards against overflow; the result does not depend on it, so it is not differentiated.
        // An empty axis has no maximum: there m = 0, and the log of the sum of nothing is −∞, as PyTorch.
        Tensor<T> m = a.Any(axis => _shape[axis] == 0)
            ? Tensor.Zeros<T>(Shapes.Reduced(_shape, a, keepDim: true))
            : Detach().Max(a, keepDim: true, file, line).Map(static (x, d) => Pointwise.FiniteOrZero(x, d));
        Tensor<T> lse = Sub(m, file, line).Exp(file, line).Sum(a, keepDim: true, file, line).Log(file, line).Add(m, file, line);
        return trace.Done(nameof(LogSumExp), keepDim ? lse : lse.Reshape(Shapes.Reduced(_shape, a, keepDim: false), file, line), file, line, this)
            .Traced("axes", a).Traced("keepDim", keepDim);
    }

    /// <summary>
    /// The variance over the given axes (all when none are given), as <c>torch.var</c>: Σ(x − mean)² / (n − 1) when
    /// <paramref name="unbiased"/> (Bessel's correction, PyTorch's default), / n otherwise; n ≤ 1 with the correction
    /// gives NaN, as PyTorch, and so does an empty axis.
    /// </summary>
    /// <remarks>Backward: 2g(x − mean)/(n − 1) (or /n); composed from Mean, Sub, Mul and Sum.</remarks>
    /// <param name="axes">The axes to reduce; negative counts from the end.</param>
    /// <param name="unbiased">Divide by n − 1 (true) or n.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Var(int[]? axes = null, bool unbiased = true, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Variance(axes, unbiased, keepDim, nameof(Var), file, line);

    /// <summary>Var under the name of the public op the user called (Var or Std), so that its errors say which.</summary>
    private Tensor<T> Variance(int[]? axes, bool unbiased, bool keepDim, string op, string? file, int line)
    {
        int[] a = Shapes.Axes(axes, Shape, op, file, line);
        int n = 1;
        foreach (int axis in a)
        {
            n *= _shape[axis];
        }

        Tensor<T> centred = Sub(Mean(a, keepDim: true, file, line), file, line);
        // Divided by max(0, n − correction), as PyTorch: 0/0 = NaN for an empty axis, also with the correction.
        return centred.Mul(centred, file, line).Sum(a, keepDim, file, line).Mul(T.One / T.CreateChecked(Math.Max(0, unbiased ? n - 1 : n)), file, line);
    }

    /// <summary>The standard deviation √Var over the given axes (<see cref="Var"/>'s arguments).</summary>
    /// <remarks>
    /// Backward: g·(x − mean)/((n − 1)·std), and 0 where std = 0, as PyTorch (not √'s g/(2·0) times a zero deviation,
    /// which is NaN); composed: Var, Sqrt, and a Where that passes 0 to the root where the variance is 0.
    /// </remarks>
    /// <param name="axes">The axes to reduce; negative counts from the end.</param>
    /// <param name="unbiased">Divide by n − 1 (true) or n.</param>
    /// <param name="keepDim">Keep the reduced axes as size 1.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Std(int[]? axes = null, bool unbiased = true, bool keepDim = false, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> variance = Variance(axes, unbiased, keepDim, nameof(Std), file, line), zeros = Tensor.ZerosLike(variance);
        return Tensor.Where(variance.Eq(zeros, file, line), zeros, variance.Sqrt(file, line), file, line); // √'s zero-safe rule then passes 0 on
    }
}
