namespace Autodiff.NN.Optim;

/// <summary>
/// Linear warm-up from 0 to lr₀ over the first <see cref="WarmupSteps"/> steps, then half a cosine from lr₀ down to
/// η_min at <see cref="TotalSteps"/> (the schedule of most transformer training; Hugging Face's
/// <c>get_cosine_schedule_with_warmup</c> with a floor). Call <see cref="LRScheduler.Step"/> after every optimiser step.
/// </summary>
public sealed class WarmupCosineLR : LRScheduler
{
    /// <summary>Creates the schedule; the optimiser's learning rate becomes the rate of step 0 (0 when there is a warm-up).</summary>
    /// <param name="optimizer">The optimiser whose learning rate to set.</param>
    /// <param name="warmupSteps">Steps of linear warm-up, ≥ 0.</param>
    /// <param name="totalSteps">Steps in all, more than the warm-up.</param>
    /// <param name="etaMin">The learning rate at the end, ≥ 0.</param>
    public WarmupCosineLR(Optimizer optimizer, int warmupSteps, int totalSteps, double etaMin = 0)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (totalSteps <= warmupSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"WarmupCosineLR: the total steps must exceed the {warmupSteps} warm-up steps.");
        }

        if (!(etaMin >= 0 && double.IsFinite(etaMin)))
        {
            throw new ArgumentOutOfRangeException(nameof(etaMin), etaMin, "WarmupCosineLR: etaMin must be finite and ≥ 0.");
        }

        (WarmupSteps, TotalSteps, EtaMin) = (warmupSteps, totalSteps, etaMin);
        optimizer.LearningRate = LearningRateAt(0);
    }

    /// <summary>Steps of warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>Steps in all.</summary>
    public int TotalSteps { get; }

    /// <summary>The final learning rate.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch)
    {
        if (epoch < WarmupSteps)
        {
            return BaseLearningRate * epoch / WarmupSteps;
        }

        double progress = Math.Min(1.0, (double)(epoch - WarmupSteps) / (TotalSteps - WarmupSteps));
        return EtaMin + ((BaseLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * progress)) / 2);
    }
}
