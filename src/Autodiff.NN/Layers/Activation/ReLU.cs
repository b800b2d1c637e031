using System.Numerics;

namespace Autodiff.NN;

/// <summary>The rectifier max(x, 0), elementwise (PyTorch's <c>nn.ReLU</c>); its derivative at 0 is taken as 0.</summary>
public sealed class ReLU : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Applies the function elementwise; the result has the input's shape.</summary>
    /// <param name="input">The input, any shape.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Relu(input);

    /// <inheritdoc/>
    public override string ToString() => "ReLU()";
}

public static partial class Functional
{
    /// <summary>max(x, 0) elementwise; the derivative at 0 is 0, as in PyTorch.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input, any shape.</param>
    public static Tensor<T> Relu<T>(Tensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Relu();
    }
}
