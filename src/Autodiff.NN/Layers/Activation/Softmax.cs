using System.Numerics;

namespace Autodiff.NN;

/// <summary>softmax along an axis, so that it sums to 1 there (PyTorch's <c>nn.Softmax(dim)</c>).</summary>
/// <remarks>
/// To train a classifier, feed the logits to <see cref="Functional.CrossEntropy{T}(Tensor{T}, ReadOnlySpan{int}, Reduction)"/>
/// instead of a softmax followed by a log: the fused form is stable and its gradient is simply softmax − one-hot.
/// </remarks>
public sealed class Softmax : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the activation.</summary>
    /// <param name="axis">The axis that sums to 1; negative counts from the end; the last by default.</param>
    public Softmax(int axis = -1) => Axis = axis;

    /// <summary>The axis that sums to 1.</summary>
    public int Axis { get; }

    /// <summary>Applies softmax along <see cref="Axis"/>; the result has the input's shape.</summary>
    /// <param name="input">The input.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Softmax(input, Axis);

    /// <inheritdoc/>
    public override string ToString() => $"Softmax(axis: {Axis})";
}

public static partial class Functional
{
    /// <summary>exp(xᵢ) / Σⱼ exp(xⱼ) along <paramref name="axis"/>, computed stably (shifted by the maximum).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input.</param>
    /// <param name="axis">The axis that sums to 1; the last by default.</param>
    public static Tensor<T> Softmax<T>(Tensor<T> input, int axis = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Softmax(axis);
    }
}
