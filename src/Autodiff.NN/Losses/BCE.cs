using System.Numerics;

namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>
    /// Binary cross-entropy of probabilities p against targets y: −(y·log p + (1 − y)·log(1 − p)), with each
    /// logarithm clamped to ≥ −100 as PyTorch's <c>F.binary_cross_entropy</c> does, so that p = 0 or 1 gives a
    /// large finite loss instead of ∞ or NaN.
    /// </summary>
    /// <remarks>
    /// Where a logarithm is clamped its gradient is 0 (the clamp saturates); elsewhere the gradient with respect to
    /// p is (p − y)/(p(1 − p)). Prefer <see cref="BCEWithLogits{T}"/> on logits: it is stable without clamping.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="probabilities">The predicted probabilities p in [0, 1], any shape.</param>
    /// <param name="targets">The targets y in [0, 1], the same shape.</param>
    /// <param name="reduction">Mean (default), sum, or none (elementwise).</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A probability or target lies outside [0, 1].</exception>
    public static Tensor<T> BCE<T>(Tensor<T> probabilities, Tensor<T> targets, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape(probabilities, targets, nameof(BCE));
        CheckProbabilities(probabilities, nameof(BCE), "probabilities", nameof(probabilities));
        CheckProbabilities(targets, nameof(BCE), "targets", nameof(targets));
        T floor = T.CreateChecked(-100);
        Tensor<T> logP = probabilities.Log().Clamp(floor, T.PositiveInfinity);
        Tensor<T> logNotP = probabilities.RSub(T.One).Log().Clamp(floor, T.PositiveInfinity);
        Tensor<T> losses = targets.Mul(logP).Add(targets.RSub(T.One).Mul(logNotP)).Neg();
        return Reduce(losses, reduction, nameof(BCE));
    }
}
