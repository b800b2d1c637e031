using System.Numerics;

namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>
    /// Binary cross-entropy of logits x against targets y: −y·log σ(x) − (1 − y)·log(1 − σ(x)), computed in the
    /// stable form max(x, 0) − x·y + log(1 + e^−|x|) (PyTorch's <c>F.binary_cross_entropy_with_logits</c>).
    /// </summary>
    /// <remarks>
    /// The first and last terms together are softplus(x), which the engine computes stably with the exact
    /// derivative σ(x); composing max and |x| instead would take their subgradients at x = 0 and give the wrong
    /// gradient −y there instead of ½ − y — at zero-initialised logits, the very first step. So the gradient is
    /// σ(x) − y everywhere.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logits">The logits x, any shape.</param>
    /// <param name="targets">The targets y in [0, 1], the same shape.</param>
    /// <param name="reduction">Mean (default), sum, or none (elementwise).</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target lies outside [0, 1].</exception>
    public static Tensor<T> BCEWithLogits<T>(Tensor<T> logits, Tensor<T> targets, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape(logits, targets, nameof(BCEWithLogits));
        CheckProbabilities(targets, nameof(BCEWithLogits), "targets", nameof(targets));
        return Reduce(logits.Softplus().Sub(logits.Mul(targets)), reduction, nameof(BCEWithLogits));
    }
}
