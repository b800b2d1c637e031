using System.Numerics;

namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>
    /// The cross-entropy of class logits of shape [N, C] against class indices: −log softmax(x)[n, targetₙ]
    /// = log Σⱼ exp(xₙⱼ) − xₙ,targetₙ per row (PyTorch's <c>F.cross_entropy</c>).
    /// </summary>
    /// <remarks>
    /// Fused with the softmax in one engine op (<see cref="Tensor.CrossEntropy{T}"/>, and with the mean as well in
    /// <see cref="Tensor.CrossEntropyMean{T}"/>): stable (the row maximum is
    /// subtracted first), so large logits neither overflow nor lose the loss to log 0, and one pass backwards. Gradient with respect to the logits:
    /// (softmax(x) − one-hot(target))/N for the mean.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logits">Unnormalised class scores, shape [N, C].</param>
    /// <param name="targets">One class index in [0, C) per row.</param>
    /// <param name="reduction">Mean over the batch (default), sum, or none (one loss per sample, shape [N]).</param>
    /// <exception cref="ArgumentException">The logits are not [N, C] or the number of targets is not N.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not a class index.</exception>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckClassTargets(logits, targets, nameof(CrossEntropy), "logits");
        return reduction == Reduction.Mean
            ? Tensor.CrossEntropyMean(logits, targets)
            : Reduce(Tensor.CrossEntropy(logits, targets), reduction, nameof(CrossEntropy));
    }

    /// <summary>
    /// The cross-entropy of class logits of shape [N, C] against target distributions of the same shape:
    /// −Σⱼ pₙⱼ·log softmax(x)ₙⱼ per row (PyTorch's <c>F.cross_entropy</c> with probability targets, e.g. soft labels).
    /// </summary>
    /// <remarks>Gradient with respect to the logits: softmax(x)·Σⱼ pₙⱼ − p, which is softmax(x) − p when the rows of p sum to 1.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logits">Unnormalised class scores, shape [N, C].</param>
    /// <param name="targetProbabilities">Target probabilities in [0, 1], shape [N, C].</param>
    /// <param name="reduction">Mean over the batch (default), sum, or none (one loss per sample, shape [N]).</param>
    /// <exception cref="ArgumentException">The shapes are not both [N, C].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target probability lies outside [0, 1].</exception>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, Tensor<T> targetProbabilities, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape(logits, targetProbabilities, nameof(CrossEntropy));
        if (logits.Rank != 2 || logits.Shape[0] == 0 || logits.Shape[1] == 0)
        {
            throw Functional.ShapeError(nameof(CrossEntropy), $"logits must have shape [N, C] with N, C ≥ 1, got {Format(logits.Shape)}.", nameof(logits));
        }

        CheckProbabilities(targetProbabilities, nameof(CrossEntropy), "target probabilities", nameof(targetProbabilities));
        Tensor<T> perSample = targetProbabilities.Mul(logits.LogSoftmax(-1)).Sum(-1).Neg();
        return Reduce(perSample, reduction, nameof(CrossEntropy));
    }
}
