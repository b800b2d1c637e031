using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// A 2-D convolution layer (PyTorch's <c>nn.Conv2d</c>): x [N, C_in, H, W] to [N, C_out, OH, OW] with a square
/// kernel, the weight stored [C_out, C_in, k, k].
/// </summary>
/// <remarks>
/// Initialised as PyTorch does: weight and bias uniform in ±1/√(C_in·k²) (Kaiming-uniform with a = √5), from
/// <c>seed</c>. Computed by im2col and GEMM (see <see cref="Tensor.Conv2d{T}"/>).
/// </remarks>
public sealed class Conv2d : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    /// <param name="inChannels">C_in, the channels of the input.</param>
    /// <param name="outChannels">C_out, the number of filters.</param>
    /// <param name="kernelSize">k, the kernel's height and width.</param>
    /// <param name="stride">The step between windows.</param>
    /// <param name="padding">Zeros added on every side.</param>
    /// <param name="dilation">The spacing of the kernel's taps.</param>
    /// <param name="bias">Whether to add a learned bias per filter.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, bool bias = true, int? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernelSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dilation);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        (Weight, Bias) = Init.LayerParameters([outChannels, inChannels, kernelSize, kernelSize], outChannels, bias, fanIn: inChannels * kernelSize * kernelSize, seed ?? Generator.NextSeed());
    }

    /// <summary>C_in.</summary>
    public int InChannels { get; }

    /// <summary>C_out.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's height and width.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>Zeros added on every side.</summary>
    public int Padding { get; }

    /// <summary>The spacing of the kernel's taps.</summary>
    public int Dilation { get; }

    /// <summary>The filters, shape [C_out, C_in, k, k].</summary>
    public Tensor<float> Weight { get; }

    /// <summary>The bias, shape [C_out]; null when the layer was built without one.</summary>
    public Tensor<float>? Bias { get; }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    /// <summary>The convolution of x [N, C_in, H, W]; the result has shape [N, C_out, OH, OW].</summary>
    /// <param name="input">The input.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, Dilation);

    internal override string Summary => string.Create(CultureInfo.InvariantCulture, $"{InChannels}→{OutChannels}, {KernelSize}×{KernelSize}");

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Conv2d(in: {InChannels}, out: {OutChannels}, kernel: {KernelSize}, stride: {Stride}, padding: {Padding}, dilation: {Dilation}, bias: {Bias is not null})");
}

public static partial class Functional
{
    /// <summary>2-D convolution (PyTorch's <c>F.conv2d</c>) of x [N, C, H, W] with weight [O, C, kh, kw] and bias [O].</summary>
    /// <remarks>Backward from the tape: dx = col2im(Wᵀ·G), dW = Σ G·colsᵀ, db = Σ G.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C, H, W].</param>
    /// <param name="weight">W, shape [O, C, kh, kw].</param>
    /// <param name="bias">b, shape [O], or null.</param>
    /// <param name="stride">The step between windows.</param>
    /// <param name="padding">Zeros added on every side.</param>
    /// <param name="dilation">The spacing of the kernel's taps.</param>
    public static Tensor<T> Conv2d<T>(Tensor<T> input, Tensor<T> weight, Tensor<T>? bias = null, int stride = 1, int padding = 0, int dilation = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Tensor.Conv2d(input, weight, bias, stride, padding, dilation);
}
