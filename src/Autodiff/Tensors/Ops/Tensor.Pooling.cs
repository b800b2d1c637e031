using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        // The arg maxima live in an array of T lent like the result (a 1.6 MB int[] per step otherwise), read as ints.
        var argMax = new Indices<T>(planes * oh * ow);
        T[] x = input.Data, ys = y.Data;
        if (typeof(T) == typeof(float) && padding == 0 && !TensorPrimitives.IsNaNAny<T>(x))
        {
            float[] taps = (float[])(object)Uninitialized<T>(planes * oh * ow);
            Parallelism.For(planes, (long)h * wd, (from, to) => MaxPoolInside((float[])(object)x, (float[])(object)ys, argMax.Span, taps, from, to, h, wd, oh, ow, w));
        }
        else
        {
            Parallelism.For(planes, (long)h * wd * kernelSize, (from, to) => MaxPoolPlanes(x, ys, argMax.Span, from, to, h, wd, oh, ow, w));
        }

        ReadOnlySpan<int> found = argMax.Span;
        for (int i = 0; i < found.Length; i++)
        {
            if (found[i] < 0)
            {
                Shapes.Throw(nameof(MaxPool2d), $"input {Shapes.Format(input.Shape)}: with {w} the window of output {i % (oh * ow) / ow}, {i % ow} lies entirely in the padding.", file, line);
            }
        }

        int[] inputShape = input.ShapeArray();
        return Autograd.Record(nameof(MaxPool2d), y, g => [ScatterAddAt(g, argMax, inputShape, file, line)], file, line, input);
    }

    /// <summary>
    /// The max-pooling kernel over the h×w images <paramref name="firstPlane"/> … <paramref name="endPlane"/> − 1: each
    /// output the first maximum of its window (strictly greater replaces, so a tie keeps the first in row-major window
    /// order; a NaN wins and stays), and the flat input index of that maximum (−1 for a window entirely in the padding).
    /// </summary>
    private static void MaxPoolPlanes<T>(T[] x, T[] y, Span<int> argMax, int firstPlane, int endPlane, int h, int wd, int oh, int ow, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = w.KernelHeight, stride = w.Stride, padding = w.Padding, dilation = w.Dilation;
        for (int plane = firstPlane; plane < endPlane; plane++)
        {
            int inBase = plane * h * wd, outBase = plane * oh * ow;
            ReadOnlySpan<T> image = x.AsSpan(inBase, h * wd);
            Span<T> outputs = y.AsSpan(outBase, oh * ow);
            Span<int> indices = argMax.Slice(outBase, oh * ow);
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
    /// <see cref="MaxPoolPlanes{T}"/> for float when every tap lies inside the image and there is no NaN: each tap of
    /// every window is gathered into one flat row over all outputs, then compared and selected with vector
    /// instructions (the scalar loop's branches on the data mispredict about half the time on random data: it ran
    /// 10–20× slower than a ReLU over the same input). argMax holds the chosen tap's offset until the last pass adds
    /// each window's first index.
    /// </summary>
    private static void MaxPoolInside(float[] x, float[] allOutputs, Span<int> allArgMax, float[] taps, int firstPlane, int endPlane, int h, int wd, int oh, int ow, Window2d w)
    {
        int k = w.KernelHeight, stride = w.Stride, dilation = w.Dilation, count = (endPlane - firstPlane) * oh * ow;
        Span<float> y = allOutputs.AsSpan(firstPlane * oh * ow, count), tap = taps.AsSpan(firstPlane * oh * ow, count);
        Span<int> argMax = allArgMax.Slice(firstPlane * oh * ow, count);
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                int offset = (i * dilation * wd) + (j * dilation);
                Span<float> values = i == 0 && j == 0 ? y : tap;
                for (int plane = firstPlane, o = 0; plane < endPlane; plane++)
                {
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int at = (plane * h * wd) + (oy * stride * wd) + offset;
                        for (int ox = 0; ox < ow; ox++, o++, at += stride)
                        {
                            values[o] = x[at];
                        }
                    }
                }

                if (i == 0 && j == 0)
                {
                    argMax.Clear();
                    continue;
                }

                var chosen = Vector256.Create(offset);
                int p = 0;
                for (; p + Vector256<float>.Count <= count; p += Vector256<float>.Count)
                {
                    Vector256<float> v = Vector256.Create<float>(tap[p..]), m = Vector256.Create<float>(y[p..]);
                    Vector256<float> wins = Vector256.GreaterThan(v, m); // strictly: a tie keeps the earlier tap
                    Vector256.ConditionalSelect(wins, v, m).CopyTo(y[p..]);
                    Vector256.ConditionalSelect(wins.AsInt32(), chosen, Vector256.Create<int>(argMax[p..])).CopyTo(argMax[p..]);
                }

                for (; p < count; p++)
                {
                    if (tap[p] > y[p])
                    {
                        y[p] = tap[p];
                        argMax[p] = offset;
                    }
                }
            }
        }

        for (int plane = firstPlane, o = 0; plane < endPlane; plane++)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                int first = (plane * h * wd) + (oy * stride * wd);
                for (int ox = 0; ox < ow; ox++, o++)
                {
                    argMax[o] += first + (ox * stride);
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
    internal static Tensor<T> ScatterAddAt<T>(Tensor<T> g, Indices<T> indices, int[] shape, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new Tensor<T>(Zeroed<T>(Shapes.Size(shape)), shape);
        T[] gs = g.Data, ys = y.Data;
        ReadOnlySpan<int> at = indices.Span;
        for (int i = 0; i < at.Length; i++)
        {
            ys[at[i]] += gs[i];
        }

        int[] gShape = g.ShapeArray();
        return Autograd.Record(nameof(ScatterAddAt), y, gy => [GatherAt(gy, indices, gShape, file, line)], file, line, g);
    }

    /// <summary>y[i] = x[indices[i]] (flat indices), shaped <paramref name="shape"/>; backward: <see cref="ScatterAddAt{T}"/>.</summary>
    internal static Tensor<T> GatherAt<T>(Tensor<T> x, Indices<T> indices, int[] shape, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<int> at = indices.Span;
        var y = new Tensor<T>(Uninitialized<T>(at.Length), shape);
        T[] xs = x.Data, ys = y.Data;
        for (int i = 0; i < at.Length; i++)
        {
            ys[i] = xs[at[i]];
        }

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
    private readonly T[] _storage;
    private readonly int _count;

    public Indices(int count)
    {
        _count = count;
        _storage = Tensor.Uninitialized<T>(((count * sizeof(int)) + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>());
    }

    public Span<int> Span => MemoryMarshal.Cast<T, int>(_storage.AsSpan())[.._count];
}
