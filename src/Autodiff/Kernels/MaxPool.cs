using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>
/// Max pooling over the windows of [planes, H, W] images: each output the first maximum of its window, and the flat
/// input index of that maximum (what the backward pass scatters the gradient to).
/// </summary>
internal static class MaxPool
{
    /// <summary>Whether <see cref="InsideFloat"/> applies: float input, no padding, no NaN.</summary>
    public static bool Vectorizable<T>(ReadOnlySpan<T> x, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float) && w.Padding == 0 && !TensorPrimitives.IsNaNAny(x);

    /// <summary>
    /// Pools every plane of <paramref name="x"/> into <paramref name="y"/> and the arg maxima, over up to
    /// <paramref name="threads"/> threads; with <paramref name="taps"/> (scratch as long as y, given when
    /// <see cref="Vectorizable{T}"/>) the vectorised kernel runs, else the scalar one.
    /// </summary>
    /// <remarks>
    /// The arg maxima are ints kept in <paramref name="argMaxStorage"/>, an array of T (so that the tape can lend it
    /// like a tensor's), read through <see cref="IntsIn{T}"/>.
    /// </remarks>
    public static void Forward<T>(T[] x, T[] y, T[] argMaxStorage, T[]? taps, int planes, int h, int wd, Window2d w, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = w.OutputHeight(h), ow = w.OutputWidth(wd), count = planes * oh * ow;
        if (taps is not null)
        {
            float[] xs = (float[])(object)x, ys = (float[])(object)y, scratch = (float[])(object)taps;
            ParallelFor.Run(planes, (long)h * wd, threads, (from, to) => InsideFloat(xs, ys, IntsIn(argMaxStorage, count), scratch, from, to, h, wd, oh, ow, w));
        }
        else
        {
            ParallelFor.Run(planes, (long)h * wd * w.KernelHeight, threads, (from, to) => Planes(x, y, IntsIn(argMaxStorage, count), from, to, h, wd, oh, ow, w));
        }
    }

    /// <summary>The first <paramref name="count"/> ints stored in an array of T.</summary>
    public static Span<int> IntsIn<T>(T[] storage, int count)
        where T : unmanaged
        => MemoryMarshal.Cast<T, int>(storage.AsSpan())[..count];

    /// <summary>How many elements of T hold <paramref name="count"/> ints.</summary>
    public static int StorageFor<T>(int count)
        where T : unmanaged
        => ((count * sizeof(int)) + Unsafe.SizeOf<T>() - 1) / Unsafe.SizeOf<T>();

    /// <summary>
    /// The max-pooling kernel over the h×w images <paramref name="firstPlane"/> … <paramref name="endPlane"/> − 1: each
    /// output the first maximum of its window (strictly greater replaces, so a tie keeps the first in row-major window
    /// order; a NaN wins, and a later NaN of the window replaces it, as PyTorch), and the flat input index of that maximum (−1 for a window entirely in the padding).
    /// </summary>
    public static void Planes<T>(T[] x, T[] y, Span<int> argMax, int firstPlane, int endPlane, int h, int wd, int oh, int ow, Window2d w)
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
                            if (best < 0 || v > max || T.IsNaN(v)) // every NaN replaces: the last wins, as PyTorch's kernel
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
    /// <see cref="Planes{T}"/> for float when every tap lies inside the image and there is no NaN: each tap of
    /// every window is gathered into one flat row over all outputs, then compared and selected with vector
    /// instructions (the scalar loop's branches on the data mispredict about half the time on random data: it ran
    /// 10–20× slower than a ReLU over the same input). argMax holds the chosen tap's offset until the last pass adds
    /// each window's first index.
    /// </summary>
    public static void InsideFloat(float[] x, float[] allOutputs, Span<int> allArgMax, float[] taps, int firstPlane, int endPlane, int h, int wd, int oh, int ow, Window2d w)
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
}
