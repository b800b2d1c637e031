using System.Numerics;

namespace Autodiff.NN;

/// <summary>log softmax along an axis (PyTorch's <c>nn.LogSoftmax(dim)</c>); pairs with <see cref="Functional.NLLLoss{T}"/>.</summary>
public sealed class LogSoftmax : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the activation.</summary>
    /// <param name="axis">The axis to normalise over; negative counts from the end; the last by default.</param>
    public LogSoftmax(int axis = -1) => Axis = axis;

    /// <summary>The axis normalised over.</summary>
    public int Axis { get; }

    /// <summary>Applies log softmax along <see cref="Axis"/>; the result has the input's shape.</summary>
    /// <param name="input">The input.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.LogSoftmax(input, Axis);

    /// <inheritdoc/>
    public override string ToString() => $"LogSoftmax(axis: {Axis})";
}

public static partial class Functional
{
    /// <summary>xᵢ − log Σⱼ exp(xⱼ) along <paramref name="axis"/>, computed stably.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input.</param>
    /// <param name="axis">The axis to normalise over; the last by default.</param>
    public static Tensor<T> LogSoftmax<T>(Tensor<T> input, int axis = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.LogSoftmax(axis);
    }
}
