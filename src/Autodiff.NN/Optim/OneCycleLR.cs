namespace Autodiff.NN.Optim;

/// <summary>
/// The one-cycle policy (PyTorch's <c>torch.optim.lr_scheduler.OneCycleLR</c> with cosine annealing, two phases): from
/// max_lr/div_factor up to max_lr over the first pct_start of the steps, then down to max_lr/(div_factor·final_div_factor).
/// Call <see cref="LRScheduler.Step"/> after every optimiser step.
/// </summary>
/// <remarks>As PyTorch, the optimiser's own learning rate is replaced: the schedule starts at max_lr/div_factor.</remarks>
public sealed class OneCycleLR : LRScheduler
{
    /// <summary>Creates the schedule and sets the optimiser's learning rate to the initial one.</summary>
    /// <param name="optimizer">The optimiser whose learning rate to set.</param>
    /// <param name="maxLearningRate">The peak learning rate.</param>
    /// <param name="totalSteps">Steps in the cycle, ≥ 2.</param>
    /// <param name="pctStart">The fraction of the steps spent rising, in (0, 1).</param>
    /// <param name="divFactor">The initial rate is max/divFactor.</param>
    /// <param name="finalDivFactor">The final rate is initial/finalDivFactor.</param>
    public OneCycleLR(Optimizer optimizer, double maxLearningRate, int totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
        : base(Prepare(optimizer, maxLearningRate, divFactor))
    {
        if (totalSteps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "OneCycleLR: needs at least 2 steps.");
        }

        if (!(pctStart > 0 && pctStart < 1) || !(finalDivFactor > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, "OneCycleLR: pctStart must lie in (0, 1) and finalDivFactor be > 0.");
        }

        (MaxLearningRate, TotalSteps, PctStart, InitialLearningRate) = (maxLearningRate, totalSteps, pctStart, maxLearningRate / divFactor);
        MinLearningRate = InitialLearningRate / finalDivFactor;
    }

    /// <summary>The peak learning rate.</summary>
    public double MaxLearningRate { get; }

    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The rate at the last step.</summary>
    public double MinLearningRate { get; }

    /// <summary>Steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>The fraction of the steps spent rising.</summary>
    public double PctStart { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch)
    {
        // PyTorch's phase ends: the peak at step pct_start·total − 1, the floor at total − 1.
        double peak = (PctStart * TotalSteps) - 1, end = TotalSteps - 1;
        return epoch <= peak && peak > 0
            ? Anneal(InitialLearningRate, MaxLearningRate, epoch / peak)
            : Anneal(MaxLearningRate, MinLearningRate, Math.Min(1.0, (epoch - peak) / (end - peak)));
    }

    private static double Anneal(double start, double end, double pct) => end + ((start - end) / 2 * (1 + Math.Cos(Math.PI * pct)));

    private static Optimizer Prepare(Optimizer optimizer, double maxLearningRate, double divFactor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(maxLearningRate > 0 && double.IsFinite(maxLearningRate)) || !(divFactor > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxLearningRate), maxLearningRate, "OneCycleLR: the maximum learning rate and divFactor must be positive.");
        }

        optimizer.LearningRate = maxLearningRate / divFactor;
        return optimizer;
    }
}
