using System.Numerics;

namespace Autodiff.NN;

public static partial class Functional
{
    /// <summary>
    /// The Kullback–Leibler divergence in PyTorch's <c>F.kl_div</c> convention: the input is log-probabilities
    /// log q, the target probabilities p, and the pointwise loss is p·(log p − log q), with 0·log 0 = 0.
    /// </summary>
    /// <remarks>
    /// As in PyTorch, <see cref="Reduction.Mean"/> (the default) averages over every element; the KL divergence
    /// per sample, Σ p log(p/q) averaged over the batch, is <see cref="Reduction.BatchMean"/>. Gradient with
    /// respect to the input: −p (0 where p = 0).
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logProbabilities">The input log q, any shape (e.g. the output of <see cref="LogSoftmax{T}"/>).</param>
    /// <param name="targetProbabilities">The target probabilities p in [0, 1], the same shape.</param>
    /// <param name="reduction">Mean (default), batch mean, sum, or none (elementwise).</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target probability lies outside [0, 1].</exception>
    public static Tensor<T> KLDivergence<T>(Tensor<T> logProbabilities, Tensor<T> targetProbabilities, Reduction reduction = Reduction.Mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckSameShape(logProbabilities, targetProbabilities, nameof(KLDivergence));
        CheckProbabilities(targetProbabilities, nameof(KLDivergence), "target probabilities", nameof(targetProbabilities));
        Tensor<T> p = targetProbabilities;
        // log p is taken of 1 where p = 0, so that the term is 0·(0 − log q) = 0 without an ∞ (or a NaN) in sight.
        Tensor<T> logP = Tensor.Where(p.Gt(Tensor.ZerosLike(p)), p, Tensor.Scalar(T.One)).Log();
        return Reduce(p.Mul(logP.Sub(logProbabilities)), reduction, nameof(KLDivergence));
    }
}
