using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// Batch normalisation over the channel axis (axis 1), the shared part of <see cref="BatchNorm1d"/> and
/// <see cref="BatchNorm2d"/>: in training mode by the batch's statistics, updating the running statistics; in
/// evaluation mode by the running statistics.
/// </summary>
/// <remarks>
/// As PyTorch: weight 1 and bias 0 to start, running mean 0 and variance 1, momentum 0.1, ε = 1e-5; the running
/// variance is updated with the unbiased batch variance. The running statistics are buffers ("running_mean",
/// "running_var", and the count of training batches "num_batches_tracked") and travel in the state dict, so that a
/// PyTorch model with batch normalisation loads strictly in both directions. <see cref="Module.Save"/> stores the
/// count as int64, as PyTorch does; it is held in a float32 scalar, exact up to 2^24 = 16,777,216 batches (PyTorch
/// reads it only when momentum is None, a cumulative average that is not offered here).
/// </remarks>
public abstract class BatchNorm : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numFeatures">C, the number of channels.</param>
    /// <param name="eps">ε, added to the variance.</param>
    /// <param name="momentum">The weight of each batch in the running statistics.</param>
    /// <param name="affine">Whether to learn a per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics; without them evaluation also uses the batch's.</param>
    protected BatchNorm(int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = Tensor.Ones<float>(numFeatures).RequiresGrad();
            Bias = Tensor.Zeros<float>(numFeatures).RequiresGrad();
        }

        if (trackRunningStats)
        {
            RunningMean = Tensor.Zeros<float>(numFeatures);
            RunningVar = Tensor.Ones<float>(numFeatures);
            NumBatchesTracked = Tensor.Scalar(0f);
        }
    }

    /// <summary>C, the number of channels.</summary>
    public int NumFeatures { get; }

    /// <summary>ε, added to the variance.</summary>
    public double Eps { get; }

    /// <summary>The weight of each batch in the running statistics.</summary>
    public double Momentum { get; }

    /// <summary>The per-channel scale [C]; null when not affine.</summary>
    public Tensor<float>? Weight { get; }

    /// <summary>The per-channel shift [C]; null when not affine.</summary>
    public Tensor<float>? Bias { get; }

    /// <summary>The running mean [C], updated in training; null when running statistics are not tracked.</summary>
    public Tensor<float>? RunningMean { get; }

    /// <summary>The running (unbiased) variance [C]; null when running statistics are not tracked.</summary>
    public Tensor<float>? RunningVar { get; }

    /// <summary>
    /// The number of batches seen in training mode, a scalar (PyTorch's <c>num_batches_tracked</c>); null when running
    /// statistics are not tracked.
    /// </summary>
    public Tensor<float>? NumBatchesTracked { get; }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters()
        => Weight is null || Bias is null ? [] : [("weight", Weight), ("bias", Bias)];

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Buffer)> OwnBuffers()
        => RunningMean is null || RunningVar is null || NumBatchesTracked is null ? []
            : [("running_mean", RunningMean), ("running_var", RunningVar), ("num_batches_tracked", NumBatchesTracked)];

    private protected override bool IsCounter(string buffer) => buffer == "num_batches_tracked";

    /// <summary>The normalised input, same shape.</summary>
    /// <param name="input">x, with channels on axis 1.</param>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckRank(input);
        if (input.Shape[1] != NumFeatures)
        {
            throw Functional.ShapeError(GetType().Name, $"input of shape {Functional.Format(input.Shape)} has {input.Shape[1]} channels, the layer {NumFeatures}.", nameof(input));
        }

        if (IsTraining && NumBatchesTracked is not null)
        {
            NumBatchesTracked.MutableSpan()[0] += 1;
        }

        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, IsTraining || RunningMean is null, Momentum, Eps);
    }

    /// <summary>Throws unless the input has the rank this kind of layer takes.</summary>
    /// <param name="input">The input.</param>
    private protected abstract void CheckRank(Tensor<float> input);

    internal override string Summary => NumFeatures.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{GetType().Name}({NumFeatures}, eps: {Eps}, momentum: {Momentum}, affine: {Weight is not null}, track_running_stats: {RunningMean is not null})");
}

/// <summary>Batch normalisation of [N, C] or [N, C, L] (PyTorch's <c>nn.BatchNorm1d</c>): statistics per channel over N (and L).</summary>
public sealed class BatchNorm1d : BatchNorm
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="numFeatures">C.</param>
    /// <param name="eps">ε, added to the variance.</param>
    /// <param name="momentum">The weight of each batch in the running statistics.</param>
    /// <param name="affine">Whether to learn a per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics.</param>
    public BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    private protected override void CheckRank(Tensor<float> input)
    {
        if (input.Rank is not (2 or 3))
        {
            throw Functional.ShapeError("BatchNorm1d", $"needs [N, C] or [N, C, L], got {Functional.Format(input.Shape)}.", nameof(input));
        }
    }
}

/// <summary>Batch normalisation of images [N, C, H, W] (PyTorch's <c>nn.BatchNorm2d</c>): statistics per channel over N, H and W.</summary>
public sealed class BatchNorm2d : BatchNorm
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="numFeatures">C.</param>
    /// <param name="eps">ε, added to the variance.</param>
    /// <param name="momentum">The weight of each batch in the running statistics.</param>
    /// <param name="affine">Whether to learn a per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics.</param>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    private protected override void CheckRank(Tensor<float> input)
    {
        if (input.Rank != 4)
        {
            throw Functional.ShapeError("BatchNorm2d", $"needs [N, C, H, W], got {Functional.Format(input.Shape)}.", nameof(input));
        }
    }
}

public static partial class Functional
{
    /// <summary>
    /// Batch normalisation over axis 1 (PyTorch's <c>F.batch_norm</c>): by the batch's statistics when
    /// <paramref name="training"/> (updating the running statistics in place when given), else by the running ones.
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C] or [N, C, *].</param>
    /// <param name="runningMean">Running means [C], or null.</param>
    /// <param name="runningVar">Running variances [C], or null.</param>
    /// <param name="weight">Per-channel scale [C], or null.</param>
    /// <param name="bias">Per-channel shift [C], or null.</param>
    /// <param name="training">Batch statistics (true) or running statistics.</param>
    /// <param name="momentum">The weight of the batch in the running statistics.</param>
    /// <param name="eps">ε, added to the variance.</param>
    public static Tensor<T> BatchNorm<T>(Tensor<T> input, Tensor<T>? runningMean, Tensor<T>? runningVar, Tensor<T>? weight = null, Tensor<T>? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Tensor.BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);
}
