using System.Numerics;

namespace Autodiff.NN;

/// <summary>The hyperbolic tangent, elementwise (PyTorch's <c>nn.Tanh</c>).</summary>
public sealed class Tanh : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Applies the function elementwise; the result has the input's shape.</summary>
    /// <param name="input">The input, any shape.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Tanh(input);

    /// <inheritdoc/>
    public override string ToString() => "Tanh()";
}

public static partial class Functional
{
    /// <summary>tanh x elementwise; backward g·(1 − tanh² x).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input, any shape.</param>
    public static Tensor<T> Tanh<T>(Tensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Tanh();
    }
}
