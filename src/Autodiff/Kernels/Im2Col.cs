using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// im2col and its adjoint col2im for one image [C, H, W]: the columns matrix [C·kh·kw, OH·OW] has one row per
/// (channel, kernel row, kernel column) and one column per output position, so that a convolution is one GEMM.
/// Positions in the zero padding read as 0 (im2col) and are dropped (col2im).
/// </summary>
internal static class Im2Col
{
    /// <summary>im2col of each image of x [N, C, H, W] into its own columns matrix of cols [N, C·kh·kw, OH·OW].</summary>
    public static void UnfoldImages<T>(ReadOnlySpan<T> x, Span<T> cols, int n, int channels, int height, int width, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int image = channels * height * width, positions = w.OutputHeight(height) * w.OutputWidth(width), size = channels * w.KernelHeight * w.KernelWidth * positions;
        for (int i = 0; i < n; i++)
        {
            Unfold(x.Slice(i * image, image), cols.Slice(i * size, size), positions, channels, height, width, w);
        }
    }

    /// <summary>col2im of each columns matrix of cols [N, C·kh·kw, OH·OW], added into its image of y [N, C, H, W].</summary>
    public static void FoldImages<T>(ReadOnlySpan<T> cols, Span<T> y, int n, int channels, int height, int width, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int image = channels * height * width, positions = w.OutputHeight(height) * w.OutputWidth(width), size = channels * w.KernelHeight * w.KernelWidth * positions;
        for (int i = 0; i < n; i++)
        {
            FoldAdd(cols.Slice(i * size, size), positions, y.Slice(i * image, image), channels, height, width, w);
        }
    }

    /// <summary>
    /// cols[(c·kh + i)·kw + j, oy·OW + ox] = image[c, oy·s − p + i·d, ox·s − p + j·d] (0 outside the image), row r of
    /// cols starting at r·<paramref name="rowStride"/> (OH·OW for one image's own matrix; more when the images of a
    /// batch sit side by side in one matrix).
    /// </summary>
    public static void Unfold<T>(ReadOnlySpan<T> image, Span<T> cols, int rowStride, int channels, int height, int width, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = w.OutputHeight(height), ow = w.OutputWidth(width), positions = oh * ow;
        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<T> plane = image.Slice(c * height * width, height * width);
            for (int i = 0; i < w.KernelHeight; i++)
            {
                for (int j = 0; j < w.KernelWidth; j++, row++)
                {
                    Span<T> dest = cols.Slice(row * rowStride, positions);
                    (int first, int last) = InsideRange(ow, width, (j * w.Dilation) - w.Padding, w.Stride);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        Span<T> outRow = dest.Slice(oy * ow, ow);
                        int iy = (oy * w.Stride) - w.Padding + (i * w.Dilation);
                        if ((uint)iy >= (uint)height || first >= last)
                        {
                            outRow.Clear();
                            continue;
                        }

                        outRow[..first].Clear();
                        outRow[last..].Clear();
                        int ix0 = (first * w.Stride) - w.Padding + (j * w.Dilation);
                        ReadOnlySpan<T> source = plane.Slice(iy * width, width);
                        if (w.Stride == 1)
                        {
                            source.Slice(ix0, last - first).CopyTo(outRow[first..last]);
                        }
                        else
                        {
                            for (int ox = first, ix = ix0; ox < last; ox++, ix += w.Stride)
                            {
                                outRow[ox] = source[ix];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Unfold{T}"/>: image[c, y, x] += every column entry that Unfold read from there.</summary>
    public static void FoldAdd<T>(ReadOnlySpan<T> cols, int rowStride, Span<T> image, int channels, int height, int width, Window2d w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = w.OutputHeight(height), ow = w.OutputWidth(width), positions = oh * ow;
        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            Span<T> plane = image.Slice(c * height * width, height * width);
            for (int i = 0; i < w.KernelHeight; i++)
            {
                for (int j = 0; j < w.KernelWidth; j++, row++)
                {
                    ReadOnlySpan<T> source = cols.Slice(row * rowStride, positions);
                    (int first, int last) = InsideRange(ow, width, (j * w.Dilation) - w.Padding, w.Stride);
                    if (first >= last)
                    {
                        continue;
                    }

                    int ix0 = (first * w.Stride) - w.Padding + (j * w.Dilation);
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = (oy * w.Stride) - w.Padding + (i * w.Dilation);
                        if ((uint)iy >= (uint)height)
                        {
                            continue;
                        }

                        ReadOnlySpan<T> inRow = source.Slice(oy * ow, ow);
                        Span<T> dest = plane.Slice(iy * width, width);
                        if (w.Stride == 1)
                        {
                            Span<T> run = dest.Slice(ix0, last - first);
                            TensorPrimitives.Add(run, inRow[first..last], run);
                        }
                        else
                        {
                            for (int ox = first, ix = ix0; ox < last; ox++, ix += w.Stride)
                            {
                                dest[ix] += inRow[ox];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The output columns [first, last) whose input column ox·stride + offset lies inside [0, width).</summary>
    private static (int First, int Last) InsideRange(int outputs, int width, int offset, int stride)
    {
        // ox·s + offset ≥ 0  ⇔  ox ≥ ⌈−offset / s⌉;  ox·s + offset ≤ width − 1  ⇔  ox ≤ ⌊(width − 1 − offset) / s⌋.
        int first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int lastInclusive = width - 1 - offset < 0 ? -1 : (width - 1 - offset) / stride;
        return (Math.Min(first, outputs), Math.Clamp(lastInclusive + 1, 0, outputs));
    }
}
