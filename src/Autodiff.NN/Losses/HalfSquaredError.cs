using System.Numerics;

namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>
    /// The lecture notes' squared error ½‖ŷ − y‖² per sample: summed over the elements of each sample (every axis
    /// but the first), then combined over the batch (the first axis) by <paramref name="reduction"/> — the mean by
    /// default.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Summing within a sample keeps the notes' ½‖·‖², whose gradient is exactly ŷ − y — the output δ of the
    /// notes' backward pass — and does not shrink as the number of outputs grows; averaging over the batch keeps
    /// the learning rate independent of the batch size. <see cref="MSELoss{T}"/> instead averages over every
    /// element: for a batch of N samples of K outputs, HalfSquaredError = MSELoss·K/2.
    /// </para>
    /// <para>A tensor of rank 1 is a batch of one-element samples; a tensor of rank 0 is one sample.</para>
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The prediction ŷ, shape [N, …].</param>
    /// <param name="target">The target y, the same shape.</param>
    /// <param name="reduction">Over the batch: mean (default), sum, or none (one loss per sample, shape [N]).</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor<T> HalfSquaredError<T>(Tensor<T> input, Tensor<T> target, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape(input, target, nameof(HalfSquaredError));
        Tensor<T> diff = input.Sub(target);
        Tensor<T> squares = diff.Mul(diff).Mul(T.CreateChecked(0.5));
        Tensor<T> perSample = input.Rank <= 1 ? squares : squares.Sum(Enumerable.Range(1, input.Rank - 1).ToArray());
        return Reduce(perSample, reduction, nameof(HalfSquaredError));
    }
}
