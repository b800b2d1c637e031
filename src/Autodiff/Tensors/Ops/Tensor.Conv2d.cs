using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// 2-D convolution through im2col on the project's GEMM. Unfold (im2col) and Fold (col2im) are linear and each is the
// other's adjoint, so each one's backward is the other; Conv2d's recorded rule is written with them and MatMul, so
// its second derivatives come from rules that are already checked. The eager path never builds that graph: one
// im2col and one GEMM per image forwards, two GEMMs and one col2im per image backwards.
public static partial class Tensor
{
    /// <summary>
    /// im2col (PyTorch's <c>F.unfold</c>): the sliding blocks of x [N, C, H, W] as columns, shape
    /// [N, C·kh·kw, OH·OW]; row (c·kh + i)·kw + j of column oy·OW + ox holds x[n, c, oy·s − p + i·d, ox·s − p + j·d],
    /// 0 in the padding.
    /// </summary>
    /// <remarks>Backward: <see cref="Fold{T}"/> of g (the adjoint: overlapping positions add up).</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C, H, W].</param>
    /// <param name="kernelHeight">kh.</param>
    /// <param name="kernelWidth">kw.</param>
    /// <param name="stride">s, both axes.</param>
    /// <param name="padding">p, zeros on every side.</param>
    /// <param name="dilation">d, the spacing of kernel taps.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Unfold<T>(Tensor<T> input, int kernelHeight, int kernelWidth, int stride = 1, int padding = 0, int dilation = 1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        var w = new Window2d(kernelHeight, kernelWidth, stride, padding, dilation);
        (int n, int c, int h, int wd) = Image4(input, nameof(Unfold), w, file, line);
        int rows = c * kernelHeight * kernelWidth, positions = w.OutputHeight(h) * w.OutputWidth(wd);
        var y = new Tensor<T>(Uninitialized<T>(n * rows * positions), [n, rows, positions]);
        Im2Col.UnfoldImages<T>(input.Span, y.Data, n, c, h, wd, w);

        return Autograd.Record(nameof(Unfold), y, g => [Fold(g, h, wd, kernelHeight, kernelWidth, stride, padding, dilation, file, line)], file, line, input);
    }

    /// <summary>
    /// col2im (PyTorch's <c>F.fold</c>): the adjoint of <see cref="Unfold{T}"/>, summing columns [N, C·kh·kw, L]
    /// back into images [N, C, H, W] (overlapping blocks add; entries that fall in the padding are dropped).
    /// </summary>
    /// <remarks>Backward: <see cref="Unfold{T}"/> of g.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="columns">Shape [N, C·kh·kw, L] with L = OH·OW for this window on an H×W image.</param>
    /// <param name="height">H of the result.</param>
    /// <param name="width">W of the result.</param>
    /// <param name="kernelHeight">kh.</param>
    /// <param name="kernelWidth">kw.</param>
    /// <param name="stride">s, both axes.</param>
    /// <param name="padding">p, every side.</param>
    /// <param name="dilation">d.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Fold<T>(Tensor<T> columns, int height, int width, int kernelHeight, int kernelWidth, int stride = 1, int padding = 0, int dilation = 1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(columns);
        var w = new Window2d(kernelHeight, kernelWidth, stride, padding, dilation);
        int kk = kernelHeight * kernelWidth;
        if (columns.Rank != 3 || height < 1 || width < 1)
        {
            Shapes.Throw(nameof(Fold), $"columns {Shapes.Format(columns.Shape)} to {height}×{width}: needs columns [N, C·kh·kw, L] and a positive output size.", file, line);
        }

        ValidateWindow(w, nameof(Fold), [columns.Shape[0], columns.Shape[1], height, width], height, width, file, line);
        int n = columns.Shape[0], rows = columns.Shape[1], positions = w.OutputHeight(height) * w.OutputWidth(width);
        if (rows % kk != 0 || columns.Shape[2] != positions)
        {
            Shapes.Throw(nameof(Fold), $"columns {Shapes.Format(columns.Shape)} do not fit a {w} on {height}×{width}: needs [N, C·{kk}, {positions}].", file, line);
        }

        int c = rows / kk;
        var y = new Tensor<T>(Zeroed<T>(n * c * height * width), [n, c, height, width]);
        Im2Col.FoldImages<T>(columns.Span, y.Data, n, c, height, width, w);

        return Autograd.Record(nameof(Fold), y, g => [Unfold(g, kernelHeight, kernelWidth, stride, padding, dilation, file, line)], file, line, columns);
    }

    /// <summary>
    /// The 2-D convolution of PyTorch's <c>F.conv2d</c> (a cross-correlation): x [N, C, H, W] with weight
    /// [O, C, kh, kw] and optional bias [O] gives [N, O, OH, OW],
    /// y[n, o] = b[o] + Σ_c,i,j W[o, c, i, j]·x[n, c, oy·s − p + i·d, ox·s − p + j·d].
    /// </summary>
    /// <remarks>
    /// Computed as W [O, C·kh·kw] · Unfold(x)[n] per image. Backward: dx = Fold(Wᵀ·G), dW = Σₙ G[n]·Unfold(x)[n]ᵀ,
    /// db = G summed over N, OH, OW.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C, H, W].</param>
    /// <param name="weight">W, shape [O, C, kh, kw].</param>
    /// <param name="bias">b, shape [O], or null.</param>
    /// <param name="stride">s, both axes.</param>
    /// <param name="padding">p, zeros on every side.</param>
    /// <param name="dilation">d, the spacing of kernel taps.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Conv2d<T>(Tensor<T> input, Tensor<T> weight, Tensor<T>? bias = null, int stride = 1, int padding = 0, int dilation = 1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank != 4 || weight.Rank != 4 || input.Shape[1] != weight.Shape[1] || (bias is not null && (bias.Rank != 1 || bias.Size != weight.Shape[0])))
        {
            string b = bias is null ? "" : $", bias {Shapes.Format(bias.Shape)}";
            Shapes.Throw(nameof(Conv2d), $"input {Shapes.Format(input.Shape)}, weight {Shapes.Format(weight.Shape)}{b}: needs input [N, C, H, W], weight [O, C, kh, kw] and bias [O].", file, line);
        }

        var w = new Window2d(weight.Shape[2], weight.Shape[3], stride, padding, dilation);
        (int n, int c, int h, int wd) = Image4(input, nameof(Conv2d), w, file, line);
        int o = weight.Shape[0], oh = w.OutputHeight(h), ow = w.OutputWidth(wd), positions = oh * ow;
        int k = c * w.KernelHeight * w.KernelWidth;
        var y = new Tensor<T>(Uninitialized<T>(n * o * positions), [n, o, oh, ow]);

        // The images of a batch side by side in one columns matrix [k, N·L], so that the convolution is one GEMM
        // W [O, k] · cols → [O, N·L], scattered to [N, O, L] with the bias: one call with a long n instead of one small
        // product per image (the two were within noise of each other in a profile on the loaded machine; see
        // docs/architecture.md). The columns are kept for dW when the op will be recorded; otherwise images go
        // through in groups whose columns take at most about a million elements.
        bool recorded = Autograd.IsRecording && (input.GradRequired || weight.GradRequired || (bias?.GradRequired ?? false));
        bool keepColumns = recorded && weight.GradRequired;
        int group = keepColumns ? n : Math.Clamp(ColumnsBudget / (k * positions), 1, n);
        T[] columns = Uninitialized<T>(k * group * positions);
        T[] product = Uninitialized<T>(o * group * positions);
        Convolution.Forward(input.Data, weight.Data, bias?.Data, y.Data, columns, product, n, c, h, wd, o, w, group, Parallelism.MaxThreads);

        // With G = g as [N, O, L] and cols = Unfold(x): dx = Fold(Wᵀ·G), dW = Σₙ G[n]·cols[n]ᵀ, db = Σ g over N, H, W.
        return Autograd.Record(nameof(Conv2d), y, g =>
        {
            if (!Fusion.Composed)
            {
                return Fusion.Conv2dBackward(g, input, weight, bias, columns, w, n, c, h, wd, o, positions, k);
            }

            Tensor<T> g3 = g.Reshape([n, o, positions]);
            Tensor<T>? dx = input.GradRequired ? Fold(weight.Reshape([o, k]).Transpose().MatMul(g3), h, wd, w.KernelHeight, w.KernelWidth, stride, padding, dilation, file, line) : null;
            Tensor<T>? dw = weight.GradRequired
                ? g3.MatMul(Unfold(input, w.KernelHeight, w.KernelWidth, stride, padding, dilation, file, line).Transpose(1, 2)).Sum([0]).Reshape(weight.ShapeArray())
                : null;
            return [dx, dw, bias is not null && bias.GradRequired ? g.Sum([0, 2, 3]) : null];
        }, file, line, bias is null ? [input, weight] : [input, weight, bias]).Traced("stride", stride).Traced("padding", padding).Traced("dilation", dilation);
    }

    /// <summary>Elements of an im2col matrix worth holding at once when the columns need not be kept.</summary>
    private const int ColumnsBudget = 1 << 20;

    /// <summary>The extents of an [N, C, H, W] input, after checking its rank and that the window fits.</summary>
    private static (int N, int C, int H, int W) Image4<T>(Tensor<T> input, string op, Window2d w, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (input.Rank != 4)
        {
            Shapes.Throw(op, $"input {Shapes.Format(input.Shape)}: needs [N, C, H, W].", file, line);
        }

        int h = input.Shape[2], wd = input.Shape[3];
        ValidateWindow(w, op, input.Shape, h, wd, file, line);
        return (input.Shape[0], input.Shape[1], h, wd);
    }

    /// <summary>Throws (naming the op, the input shape and the window) unless <paramref name="w"/> is valid and fits an input of [*, *, height, width].</summary>
    private static void ValidateWindow(Window2d w, string op, ReadOnlySpan<int> inputShape, int height, int width, string? file, int line)
    {
        if (w.KernelHeight < 1 || w.KernelWidth < 1 || w.Stride < 1 || w.Padding < 0 || w.Dilation < 1)
        {
            Shapes.Throw(op, $"{w}: kernel extents, stride and dilation must be ≥ 1 and padding ≥ 0.", file, line);
        }

        if (w.OutputHeight(height) < 1 || w.OutputWidth(width) < 1 || height + (2 * w.Padding) < (w.Dilation * (w.KernelHeight - 1)) + 1 || width + (2 * w.Padding) < (w.Dilation * (w.KernelWidth - 1)) + 1)
        {
            Shapes.Throw(op, $"input {Shapes.Format(inputShape)} is smaller than the {w} (padded {height + (2 * w.Padding)}×{width + (2 * w.Padding)}, dilated kernel {(w.Dilation * (w.KernelHeight - 1)) + 1}×{(w.Dilation * (w.KernelWidth - 1)) + 1}).", file, line);
        }
    }
}
