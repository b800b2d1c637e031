using System.Numerics;
using System.Runtime.CompilerServices;

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
    /// Backward: each g goes to the first arg max of its window (row-major window order; a NaN counts as the maximum);
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
        int[] argMax = GC.AllocateUninitializedArray<int>(planes * oh * ow);
        MaxPoolPlanes(input.Data, y.Data, argMax, planes, h, wd, oh, ow, w);
        for (int i = 0; i < argMax.Length; i++)
        {
            if (argMax[i] < 0)
            {
                Shapes.Throw(nameof(MaxPool2d), $"input {Shapes.Format(input.Shape)}: with {w} the window of output {i % (oh * ow) / ow}, {i % ow} lies entirely in the padding.", file, line);
            }
        }

        int[] inputShape = input.ShapeArray();
        return Autograd.Record(nameof(MaxPool2d), y, g => [ScatterAddAt(g, argMax, inputShape, file, line)], file, line, input);
    }

    /// <summary>
    /// The max-pooling kernel over <paramref name="planes"/> images h×w: each output the first maximum of its window
    /// (strictly greater replaces, so a tie keeps the first in row-major window order; a NaN wins and stays), and the
    /// flat input index of that maximum (−1 for a window entirely in the padding).
    /// </summary>
    private static void MaxPoolPlanes<T>(T[] x, T[] y, int[] argMax, int planes, int h, int wd, int oh, int ow, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = w.KernelHeight, stride = w.Stride, padding = w.Padding, dilation = w.Dilation;
        for (int plane = 0; plane < planes; plane++)
        {
            int inBase = plane * h * wd, outBase = plane * oh * ow;
            ReadOnlySpan<T> image = x.AsSpan(inBase, h * wd);
            Span<T> outputs = y.AsSpan(outBase, oh * ow);
            Span<int> indices = argMax.AsSpan(outBase, oh * ow);
            for (int oy = 0; oy < oh; oy++)
            {
                int y0 = (oy * stride) - padding;
                for (int ox = 0; ox < ow; ox++)
                {
                    int x0 = (ox * stride) - padding;
                    int best = -1;
                    T max = T.NegativeInfinity;
                    for (int i = 0; i < k; i++)
                    {
                        int iy = y0 + (i * dilation);
                        if ((uint)iy >= (uint)h)
                        {
                            continue;
                        }

                        ReadOnlySpan<T> row = image.Slice(iy * wd, wd);
                        for (int j = 0; j < k; j++)
                        {
                            int ix = x0 + (j * dilation);
                            if ((uint)ix >= (uint)wd)
                            {
                                continue;
                            }

                            T v = row[ix];
                            if (best < 0 || v > max || (T.IsNaN(v) && !T.IsNaN(max)))
                            {
                                best = (iy * wd) + ix;
                                max = v;
                            }
                        }
                    }

                    outputs[(oy * ow) + ox] = max;
                    indices[(oy * ow) + ox] = best < 0 ? -1 : inBase + best;
                }
            }
        }
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
        Tensor<T> columns = Unfold(input.Reshape([n * c, 1, h, wd], file, line), kernelSize, kernelSize, w.Stride, padding, 1, file, line);
        return columns.Mean([1], keepDim: false, file, line).Reshape([n, c, w.OutputHeight(h), w.OutputWidth(wd)], file, line);
    }

    /// <summary>
    /// A tensor of <paramref name="shape"/>, zero except that each g[i] is added at flat index indices[i]: the
    /// backward of max pooling. Its own backward gathers by the same indices.
    /// </summary>
    internal static Tensor<T> ScatterAddAt<T>(Tensor<T> g, int[] indices, int[] shape, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(Zeroed<T>(Shapes.Size(shape)), shape);
        T[] gs = g.Data, ys = y.Data;
        for (int i = 0; i < indices.Length; i++)
        {
            ys[indices[i]] += gs[i];
        }

        int[] gShape = g.ShapeArray();
        return Autograd.Record(nameof(ScatterAddAt), y, gy => [GatherAt(gy, indices, gShape, file, line)], file, line, g);
    }

    /// <summary>y[i] = x[indices[i]] (flat indices), shaped <paramref name="shape"/>; backward: <see cref="ScatterAddAt{T}"/>.</summary>
    internal static Tensor<T> GatherAt<T>(Tensor<T> x, int[] indices, int[] shape, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(Uninitialized<T>(indices.Length), shape);
        T[] xs = x.Data, ys = y.Data;
        for (int i = 0; i < indices.Length; i++)
        {
            ys[i] = xs[indices[i]];
        }

        int[] xShape = x.ShapeArray();
        return Autograd.Record(nameof(GatherAt), y, gy => [ScatterAddAt(gy, indices, xShape, file, line)], file, line, x);
    }
}
