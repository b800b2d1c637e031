using System.Numerics;

namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>The mean squared error, mean of (ŷ − y)² over every element (PyTorch's <c>F.mse_loss</c>).</summary>
    /// <remarks>Backward from the tape: 2(ŷ − y)/size for the mean.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The prediction ŷ.</param>
    /// <param name="target">The target y, the same shape as the prediction.</param>
    /// <param name="reduction">Mean (default), sum, or none (the squared errors elementwise).</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor<T> MSELoss<T>(Tensor<T> input, Tensor<T> target, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape(input, target, nameof(MSELoss));
        Tensor<T> diff = input.Sub(target);
        return Reduce(diff.Mul(diff), reduction, nameof(MSELoss));
    }
}
