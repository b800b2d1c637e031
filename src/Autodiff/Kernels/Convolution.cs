using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// 2-D convolution by im2col and GEMM, the images of a batch side by side: the columns of a group of images form one
/// matrix [C·kh·kw, group·L] (L = OH·OW), so that a forward pass is one GEMM per group and a backward pass two.
/// </summary>
internal static class Convolution
{
    /// <summary>
    /// y [N, O, L] = W [O, k] · im2col(x) + b, the images in groups of <paramref name="group"/>: the columns of each group
    /// in <paramref name="columns"/> [k, group·L] (left there for the backward pass when the group is the whole batch),
    /// the group's product in <paramref name="product"/> [O, group·L], scattered to y with the bias.
    /// </summary>
    public static void Forward<T>(T[] x, T[] weight, T[]? bias, T[] y, T[] columns, T[] product, int n, int c, int h, int wd, int o, Window2d w, int group, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int positions = w.OutputHeight(h) * w.OutputWidth(wd), k = c * w.KernelHeight * w.KernelWidth, imageSize = c * h * wd;
        for (int first = 0; first < n; first += group)
        {
            int start = first, count = Math.Min(group, n - first), width = count * positions;
            ParallelFor.Run(count, (long)k * positions, threads, (from, to) =>
            {
                for (int i = from; i < to; i++)
                {
                    Im2Col.Unfold<T>(x.AsSpan((start + i) * imageSize, imageSize), columns.AsSpan(i * positions), width, c, h, wd, w);
                }
            });

            Gemm.Multiply(weight, 0, false, columns, 0, false, product, 0, o, width, k, accumulate: false, threads);
            ParallelFor.Run(count, (long)o * positions, threads, (from, to) =>
            {
                for (int i = from; i < to; i++)
                {
                    for (int j = 0; j < o; j++)
                    {
                        Span<T> destination = y.AsSpan((((start + i) * o) + j) * positions, positions);
                        TensorPrimitives.Add(product.AsSpan((j * width) + (i * positions), positions), bias is null ? T.Zero : bias[j], destination);
                    }
                }
            });
        }
    }

    /// <summary>gt [O, N·L] from g [N, O, L]: the gradient with the channels first, as the backward GEMMs read it.</summary>
    public static void ChannelsFirst<T>(T[] g, T[] gt, int n, int o, int positions, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = n * positions;
        ParallelFor.Run(n, (long)o * positions, threads, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                for (int j = 0; j < o; j++)
                {
                    g.AsSpan(((i * o) + j) * positions, positions).CopyTo(gt.AsSpan((j * width) + (i * positions), positions));
                }
            }
        });
    }

    /// <summary>dx [N, C, H, W] (zeroed by the caller) += col2im(Wᵀ·gt), with <paramref name="dcols"/> [k, N·L] as scratch.</summary>
    public static void InputGradient<T>(T[] weight, T[] gt, T[] dcols, T[] dx, int n, int c, int h, int wd, int o, Window2d w, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int positions = w.OutputHeight(h) * w.OutputWidth(wd), k = c * w.KernelHeight * w.KernelWidth, width = n * positions;
        Gemm.Multiply(weight, 0, true, gt, 0, false, dcols, 0, k, width, o, false, threads);
        ParallelFor.Run(n, (long)k * positions, threads, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                Im2Col.FoldAdd<T>(dcols.AsSpan(i * positions), width, dx.AsSpan(i * c * h * wd, c * h * wd), c, h, wd, w);
            }
        });
    }

    /// <summary>dW [O, k] = gt·colsᵀ, or += when accumulating.</summary>
    public static void WeightGradient<T>(T[] gt, T[] columns, T[] dw, int o, int k, int width, bool accumulate, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Gemm.Multiply(gt, 0, false, columns, 0, true, dw, 0, o, k, width, accumulate, threads);

    /// <summary>db[j] = Σ gt[j, :], the row sums of the channels-first gradient.</summary>
    public static void BiasGradient<T>(T[] gt, Span<T> db, int o, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < o; j++)
        {
            db[j] = TensorPrimitives.Sum<T>(gt.AsSpan(j * width, width));
        }
    }
}
