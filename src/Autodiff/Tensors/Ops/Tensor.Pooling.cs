using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Pooling over 2-D windows. Max pooling keeps, for each window, the flat index of its first arg max (note 003: max
// over a subset of the inputs routes the gradient to the arg max; ties go to the first in row-major window order, as
// DESIGN.md fixes). Its backward scatters g to those indices, and the scatter's own backward gathers by the same
// indices, so the rule is twice differentiable. Average pooling is Unfold followed by a mean: linear, composed from
// recorded ops.
public static partial class Tensor
{
    /// <summary>
    /// 2-D max pooling (PyTorch's <c>F.max_pool2d</c>): x [N, C, H, W] gives [N, C, OH, OW], each output the maximum of
    /// its kh×kw window (taps d apart, windows s apart, −∞ padding of p on every side).
    /// </summary>
    /// <remarks>
    /// Backward: each g goes to the first arg max of its window (row-major window order; a NaN counts as the maximum,
    /// the last NaN of a window as in PyTorch);
    /// overlapping windows that share an arg max add up there.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C, H, W].</param>
    /// <param name="kernelSize">kh = kw.</param>
    /// <param name="stride">s; null means the kernel size, as in PyTorch.</param>
    /// <param name="padding">p, at most half the kernel size.</param>
    /// <param name="dilation">d.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> MaxPool2d<T>(Tensor<T> input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        var w = new Window2d(kernelSize, kernelSize, stride ?? kernelSize, padding, dilation);
        (int n, int c, int h, int wd) = Image4(input, nameof(MaxPool2d), w, file, line);
        if (padding > kernelSize / 2)
        {
            Shapes.Throw(nameof(MaxPool2d), $"padding {padding} is more than half the kernel size {kernelSize} (a window could lie entirely in the padding).", file, line);
        }

        int oh = w.OutputHeight(h), ow = w.OutputWidth(wd), planes = n * c;
        var y = new Tensor<T>(Uninitialized<T>(planes * oh * ow), [n, c, oh, ow]);
        // The arg maxima live in an array of T lent like the result (a 1.6 MB int[] per step otherwise), read as ints.
        var argMax = new Indices<T>(planes * oh * ow);
        T[]? taps = MaxPool.Vectorizable<T>(input.Span, w) ? Uninitialized<T>(planes * oh * ow) : null;
        MaxPool.Forward(input.Data, y.Data, argMax.Storage, taps, planes, h, wd, w, Parallelism.MaxThreads);

        if (argMax.Span.IndexOf(-1) is int empty and >= 0)
        {
            Shapes.Throw(nameof(MaxPool2d), $"input {Shapes.Format(input.Shape)}: with {w} the window of output {empty % (oh * ow) / ow}, {empty % ow} lies entirely in the padding.", file, line);
        }

        int[] inputShape = input.ShapeArray();
        return Autograd.Record(nameof(MaxPool2d), y, g => [ScatterAddAt(g, argMax, inputShape, file, line)], file, line, input)
            .Traced("kernelSize", kernelSize).Traced("stride", w.Stride).Traced("padding", padding).Traced("dilation", dilation);
    }

    /// <summary>
    /// 2-D average pooling (PyTorch's <c>F.avg_pool2d</c> with <c>count_include_pad</c>): each output is the mean of its
    /// k×k window of x [N, C, H, W], zero padding counted in the divisor.
    /// </summary>
    /// <remarks>Backward: g/k² to every position of the window (the adjoint of the mean of <see cref="Unfold{T}"/>).</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C, H, W].</param>
    /// <param name="kernelSize">k.</param>
    /// <param name="stride">s; null means the kernel size.</param>
    /// <param name="padding">p, zeros, at most half the kernel size.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> AvgPool2d<T>(Tensor<T> input, int kernelSize, int? stride = null, int padding = 0, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        var w = new Window2d(kernelSize, kernelSize, stride ?? kernelSize, padding, 1);
        (int n, int c, int h, int wd) = Image4(input, nameof(AvgPool2d), w, file, line);
        if (padding > kernelSize / 2)
        {
            Shapes.Throw(nameof(AvgPool2d), $"padding {padding} is more than half the kernel size {kernelSize}.", file, line);
        }

        // Each channel as an image of its own, so that Unfold's rows are exactly one window's taps.
        using OpTrace.Composite trace = OpTrace.BeginComposite();
        Tensor<T> columns = Unfold(input.Reshape([n * c, 1, h, wd], file, line), kernelSize, kernelSize, w.Stride, padding, 1, file, line);
        Tensor<T> y = columns.Mean([1], keepDim: false, file, line).Reshape([n, c, w.OutputHeight(h), w.OutputWidth(wd)], file, line);
        return trace.Done(nameof(AvgPool2d), y, file, line, input).Traced("kernelSize", kernelSize).Traced("stride", w.Stride).Traced("padding", padding);
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/>, zero except that each g[i] is added at flat index indices[i]: the
    /// backward of max pooling. Its own backward gathers by the same indices.
    /// </summary>
    internal static Tensor<T> ScatterAddAt<T>(Tensor<T> g, Indices<T> indices, int[] shape, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(Zeroed<T>(Shapes.Size(shape)), shape);
        Indexed.ScatterAdd(g.Span, indices.Span, y.Data);

        int[] gShape = g.ShapeArray();
        return Autograd.Record(nameof(ScatterAddAt), y, gy => [GatherAt(gy, indices, gShape, file, line)], file, line, g);
    }

    /// <summary>y[i] = x[indices[i]] (flat indices), shaped <paramref name="shape"/>; backward: <see cref="ScatterAddAt{T}"/>.</summary>
    internal static Tensor<T> GatherAt<T>(Tensor<T> x, Indices<T> indices, int[] shape, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(Uninitialized<T>(indices.Span.Length), shape);
        Indexed.Gather(x.Span, indices.Span, y.Data);

        int[] xShape = x.ShapeArray();
        return Autograd.Record(nameof(GatherAt), y, gy => [ScatterAddAt(gy, indices, xShape, file, line)], file, line, x);
    }
}

/// <summary>
/// Flat indices kept in an array of <typeparamref name="T"/> lent by the tape (so that they are recycled with the
/// step's tensors instead of allocated every step), read and written as ints.
/// </summary>
internal readonly struct Indices<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _count;

    public Indices(int count)
    {
        _count = count;
        Storage = Tensor.Uninitialized<T>(MaxPool.StorageFor<T>(count));
    }

    /// <summary>The array the indices live in.</summary>
    public T[] Storage { get; }

    public Span<int> Span => MaxPool.IntsIn(Storage, _count);
}
