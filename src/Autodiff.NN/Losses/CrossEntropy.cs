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

    /// <summary>
    /// The cross-entropy of logits [*, C] — a sequence model's [B, T, V] — against one class index per position,
    /// positions whose target is <paramref name="ignoreIndex"/> left out (PyTorch's <c>ignore_index</c>, −100 by default):
    /// the mean is over the positions kept.
    /// </summary>
    /// <remarks>
    /// The classes are on the last axis, as a language model's logits come; PyTorch's <c>F.cross_entropy</c> wants them on
    /// axis 1 for more than two dimensions (<c>logits.view(-1, V)</c> is the usual bridge) — a deliberate difference.
    /// Backward: (softmax(x) − one-hot(target))/kept at every kept position, 0 at ignored ones.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logits">Unnormalised class scores [*, C].</param>
    /// <param name="targets">One class index (or the ignore index) per position, row-major over the leading axes.</param>
    /// <param name="ignoreIndex">The target value that marks a position to leave out.</param>
    /// <param name="reduction">Mean over the kept positions (default), sum, or none (a loss per position, 0 where ignored, shaped as the leading axes).</param>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, ReadOnlySpan<int> targets, int ignoreIndex, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank < 2 || logits.Shape[^1] == 0)
        {
            throw ShapeError(nameof(CrossEntropy), $"logits must have shape [*, C] with C ≥ 1, got {Format(logits.Shape)}.", nameof(logits));
        }

        int c = logits.Shape[^1], n = logits.Size / c;
        if (targets.Length != n)
        {
            throw ShapeError(nameof(CrossEntropy), $"{targets.Length} targets for logits of shape {Format(logits.Shape)}; need one per position ({n}).", nameof(targets));
        }

        var picked = new int[n];
        var keep = new T[n];
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (targets[i] == ignoreIndex)
            {
                continue;
            }

            if ((uint)targets[i] >= (uint)c)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"{nameof(CrossEntropy)}: target {targets[i]} (position {i}) is neither a class index in [0, {c}) nor the ignore index {ignoreIndex}.");
            }

            picked[i] = targets[i];
            keep[i] = T.One;
            kept++;
        }

        Tensor<T> rows = logits.Reshape([n, c]);
        if (kept == n && reduction == Reduction.Mean)
        {
            return Tensor.CrossEntropyMean(rows, picked);
        }

        Tensor<T> losses = Tensor.CrossEntropy(rows, picked).Mul(Tensor.FromArray<T>(keep, n));
        return reduction switch
        {
            Reduction.Mean => losses.Sum().Mul(T.One / T.CreateChecked(kept)), // NaN when every position is ignored, as PyTorch
            Reduction.None => losses.Reshape(logits.Shape[..^1]),
            _ => Reduce(losses, reduction, nameof(CrossEntropy)),
        };
    }
}
