using System.Numerics;

namespace Autodiff.NN;

/// <summary>The logistic function σ(x) = 1 / (1 + e⁻ˣ), elementwise (PyTorch's <c>nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Applies the function elementwise; the result has the input's shape.</summary>
    /// <param name="input">The input, any shape.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Sigmoid(input);

    /// <inheritdoc/>
    public override string ToString() => "Sigmoid()";
}

public static partial class Functional
{
    /// <summary>σ(x) = 1 / (1 + e⁻ˣ) elementwise; backward g·σ(x)·(1 − σ(x)).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input, any shape.</param>
    public static Tensor<T> Sigmoid<T>(Tensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Sigmoid();
    }
}
