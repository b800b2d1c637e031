namespace Autodiff.Kernels;

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
}
