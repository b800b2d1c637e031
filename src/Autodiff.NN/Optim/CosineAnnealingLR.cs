namespace Autodiff.NN.Optim;

/// <summary>
/// Anneals the learning rate along half a cosine from lr₀ down to η_min over T_max epochs, as
/// <c>torch.optim.lr_scheduler.CosineAnnealingLR</c>: lr = η_min + (lr₀ − η_min)·(1 + cos(π·epoch/T_max))/2.
/// </summary>
/// <remarks>Beyond T_max the cosine carries on, rising back towards lr₀ over the next T_max epochs, as in PyTorch.</remarks>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="optimizer">The optimiser whose learning rate to set.</param>
    /// <param name="tMax">The number of epochs from lr₀ to η_min, ≥ 1.</param>
    /// <param name="etaMin">The smallest learning rate, ≥ 0.</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tMax);
        if (!(etaMin >= 0 && double.IsFinite(etaMin)))
        {
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, "CosineAnnealingLR: etaMin must be finite and ≥ 0.");
        }

        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>The number of epochs of the descent.</summary>
    public int TMax { get; }

    /// <summary>The learning rate at the bottom of the cosine.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch)
        => EtaMin + ((BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2);
}
