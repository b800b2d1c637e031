using System.Numerics;

namespace Autodiff.NN;

/// <summary>The exact Gaussian error linear unit x·Φ(x), elementwise (PyTorch's <c>nn.GELU()</c> with <c>approximate='none'</c>).</summary>
public sealed class GELU : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Applies the function elementwise; the result has the input's shape.</summary>
    /// <param name="input">The input, any shape.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Gelu(input);

    /// <inheritdoc/>
    public override string ToString() => "GELU()";
}

public static partial class Functional
{
    /// <summary>x·Φ(x) elementwise, Φ the standard normal distribution function (the exact GELU, not the tanh approximation).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input, any shape.</param>
    public static Tensor<T> Gelu<T>(Tensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Gelu();
    }
}
