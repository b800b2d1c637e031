namespace Autodiff.NN.Optim;

/// <summary>
/// Multiplies the learning rate by γ every <c>stepSize</c> epochs, as <c>torch.optim.lr_scheduler.StepLR</c>:
/// lr = lr₀·γ^⌊epoch / stepSize⌋.
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimiser whose learning rate to set.</param>
    /// <param name="stepSize">The number of epochs between decays, ≥ 1.</param>
    /// <param name="gamma">The factor applied at each decay, ≥ 0.</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        if (!(gamma >= 0 && double.IsFinite(gamma)))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "StepLR: gamma must be finite and ≥ 0.");
        }

        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>The number of epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor γ.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch) => BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
}
