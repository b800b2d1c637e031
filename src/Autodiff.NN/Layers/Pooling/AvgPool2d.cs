using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// 2-D average pooling (PyTorch's <c>nn.AvgPool2d</c> with <c>count_include_pad</c>): the mean of each k×k window of
/// x [N, C, H, W], padding zeros counted.
/// </summary>
public sealed class AvgPool2d : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">k, the window's height and width.</param>
    /// <param name="stride">The step between windows; null for <paramref name="kernelSize"/>.</param>
    /// <param name="padding">Zero padding on every side, at most k/2.</param>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
    }

    /// <summary>The window's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>The padding on every side.</summary>
    public int Padding { get; }

    /// <summary>The pooled input, shape [N, C, OH, OW].</summary>
    /// <param name="input">x, shape [N, C, H, W].</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.AvgPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"AvgPool2d(kernel: {KernelSize}, stride: {Stride}, padding: {Padding})");
}

public static partial class Functional
{
    /// <summary>2-D average pooling (PyTorch's <c>F.avg_pool2d</c>, padding zeros counted in the mean).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C, H, W].</param>
    /// <param name="kernelSize">k.</param>
    /// <param name="stride">The step between windows; null for k.</param>
    /// <param name="padding">Zero padding on every side, at most k/2.</param>
    public static Tensor<T> AvgPool2d<T>(Tensor<T> input, int kernelSize, int? stride = null, int padding = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Tensor.AvgPool2d(input, kernelSize, stride, padding);
}
