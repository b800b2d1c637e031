using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// 2-D max pooling (PyTorch's <c>nn.MaxPool2d</c>): the maximum of each k×k window of x [N, C, H, W]. The gradient
/// goes to the first arg max of each window (note 003's subgradient of a max; ties to the first in row-major order).
/// </summary>
public sealed class MaxPool2d : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">k, the window's height and width.</param>
    /// <param name="stride">The step between windows; null for <paramref name="kernelSize"/> (non-overlapping windows).</param>
    /// <param name="padding">−∞ padding on every side, at most k/2.</param>
    /// <param name="dilation">The spacing of the window's taps.</param>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation;
    }

    /// <summary>The window's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>The padding on every side.</summary>
    public int Padding { get; }

    /// <summary>The spacing of the window's taps.</summary>
    public int Dilation { get; }

    /// <summary>The pooled input, shape [N, C, OH, OW].</summary>
    /// <param name="input">x, shape [N, C, H, W].</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.MaxPool2d(input, KernelSize, Stride, Padding, Dilation);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"MaxPool2d(kernel: {KernelSize}, stride: {Stride}, padding: {Padding}, dilation: {Dilation})");
}

public static partial class Functional
{
    /// <summary>2-D max pooling (PyTorch's <c>F.max_pool2d</c>); the gradient goes to each window's first arg max.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C, H, W].</param>
    /// <param name="kernelSize">k.</param>
    /// <param name="stride">The step between windows; null for k.</param>
    /// <param name="padding">−∞ padding on every side, at most k/2.</param>
    /// <param name="dilation">The spacing of the window's taps.</param>
    public static Tensor<T> MaxPool2d<T>(Tensor<T> input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Tensor.MaxPool2d(input, kernelSize, stride, padding, dilation);
}
