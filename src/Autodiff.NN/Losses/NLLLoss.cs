using System.Numerics;

namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>
    /// The negative log-likelihood −log p[n, targetₙ] of the target classes, from log-probabilities of shape [N, C]
    /// (PyTorch's <c>F.nll_loss</c>); after <see cref="LogSoftmax{T}"/> it is the cross-entropy.
    /// </summary>
    /// <remarks>Backward: −g at each row's target entry, 0 elsewhere (through <see cref="Tensor{T}.Gather"/>).</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logProbabilities">Log-probabilities, shape [N, C].</param>
    /// <param name="targets">One class index in [0, C) per row.</param>
    /// <param name="reduction">Mean over the batch (default), sum, or none (one loss per sample, shape [N]).</param>
    /// <exception cref="ArgumentException">The input is not [N, C] or the number of targets is not N.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not a class index.</exception>
    public static Tensor<T> NLLLoss<T>(Tensor<T> logProbabilities, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckClassTargets(logProbabilities, targets, nameof(NLLLoss), "log-probabilities");
        return PickedLosses(logProbabilities, targets, reduction, nameof(NLLLoss));
    }

    /// <summary>−x[n, targetₙ] for each row, reduced.</summary>
    private static Tensor<T> PickedLosses<T>(Tensor<T> logProbabilities, ReadOnlySpan<int> targets, Reduction reduction, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T> picked = logProbabilities.Gather(1, targets);
        return Reduce(picked.Reshape([targets.Length]).Neg(), reduction, op);
    }

    /// <summary>Throws unless <paramref name="scores"/> is [N, C] with N, C ≥ 1 and there is one target in [0, C) per row.</summary>
    private static void CheckClassTargets<T>(Tensor<T> scores, ReadOnlySpan<int> targets, string op, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Rank != 2 || scores.Shape[0] == 0 || scores.Shape[1] == 0)
        {
            throw Functional.ShapeError(op, $"{what} must have shape [N, C] with N, C ≥ 1 (a batch of class scores), got {Format(scores.Shape)}.", nameof(scores));
        }

        int n = scores.Shape[0], c = scores.Shape[1];
        if (targets.Length != n)
        {
            throw Functional.ShapeError(op, $"{targets.Length} targets for {what} of shape {Format(scores.Shape)}; need one class index per row ({n}).", nameof(targets));
        }

        for (int i = 0; i < n; i++)
        {
            if ((uint)targets[i] >= (uint)c)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"{op}: target {targets[i]} (row {i}) is not a class index in [0, {c}) for {what} of shape {Format(scores.Shape)}.");
            }
        }
    }
}
