namespace Autodiff.NN.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), as <c>torch.optim.AdamW</c>: each step first shrinks
/// the parameters, θ ← θ − lr·λ·θ, and then takes Adam's step on the plain gradient.
/// </summary>
/// <remarks>
/// Unlike <see cref="Adam"/>'s L2 penalty, the decay does not pass through the moments, so it is not rescaled by
/// 1/√v̂: every weight decays at the same relative rate lr·λ.
/// </remarks>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The learning rate, ≥ 0.</param>
    /// <param name="beta1">The decay β₁ of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay β₂ of the second moment, in [0, 1).</param>
    /// <param name="eps">ε, added to √v̂; ≥ 0.</param>
    /// <param name="weightDecay">The decoupled decay λ ≥ 0; PyTorch's default 0.01.</param>
    public AdamW(IEnumerable<Tensor<float>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true)
    {
    }
}
