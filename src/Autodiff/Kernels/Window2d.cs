namespace Autodiff;

/// <summary>
/// The sliding window of a 2-D convolution or pooling: kernel extent, and stride, zero padding and dilation (the
/// same along height and width). Output extent along an axis of size n: ⌊(n + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
/// </summary>
internal readonly record struct Window2d(int KernelHeight, int KernelWidth, int Stride, int Padding, int Dilation)
{
    public int OutputHeight(int height) => ((height + (2 * Padding) - (Dilation * (KernelHeight - 1)) - 1) / Stride) + 1;

    public int OutputWidth(int width) => ((width + (2 * Padding) - (Dilation * (KernelWidth - 1)) - 1) / Stride) + 1;

    /// <summary>"kernel 3×3, stride 1, padding 0, dilation 1", for messages.</summary>
    public override string ToString() => $"kernel {KernelHeight}×{KernelWidth}, stride {Stride}, padding {Padding}, dilation {Dilation}";

    /// <summary>Throws (naming the op, the input shape and the window) unless the window is valid and fits an input of [*, *, height, width].</summary>
    public void Validate(string op, ReadOnlySpan<int> inputShape, int height, int width, string? file, int line)
    {
        if (KernelHeight < 1 || KernelWidth < 1 || Stride < 1 || Padding < 0 || Dilation < 1)
        {
            Shapes.Throw(op, $"{this}: kernel extents, stride and dilation must be ≥ 1 and padding ≥ 0.", file, line);
        }

        if (OutputHeight(height) < 1 || OutputWidth(width) < 1 || height + (2 * Padding) < (Dilation * (KernelHeight - 1)) + 1 || width + (2 * Padding) < (Dilation * (KernelWidth - 1)) + 1)
        {
            Shapes.Throw(op, $"input {Shapes.Format(inputShape)} is smaller than the {this} (padded {height + (2 * Padding)}×{width + (2 * Padding)}, dilated kernel {(Dilation * (KernelHeight - 1)) + 1}×{(Dilation * (KernelWidth - 1)) + 1}).", file, line);
        }
    }
}
