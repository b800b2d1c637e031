using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Batch normalisation over axis 1 (channels) of [N, C] or [N, C, *]. Training normalises by the batch's own
// statistics in one fused op (three passes forward, two backward, instead of a dozen composed nodes); evaluation is
// an affine map by the running statistics, composed from recorded broadcasting ops.
public static partial class Tensor
{
    /// <summary>
    /// Batch normalisation (PyTorch's <c>F.batch_norm</c>) over axis 1 of x [N, C, *]: with per-channel statistics
    /// μ, σ² over every axis but 1, y = (x − μ)/√(σ² + ε)·w + b. Training uses the batch's mean and biased variance
    /// and, when running statistics are given, updates them in place: r ← (1 − momentum)·r + momentum·batch value
    /// (the unbiased variance for the running variance). Evaluation uses the running statistics.
    /// </summary>
    /// <remarks>
    /// Backward in training, with x̂ = (x − μ)/σ and m values per channel: dx = (w/σ)·(g − mean(g) − x̂·mean(g·x̂)),
    /// dw = Σ g·x̂, db = Σ g. In evaluation it is the affine map's: dx = g·w/√(r_var + ε).
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [N, C] or [N, C, *].</param>
    /// <param name="runningMean">Running means [C]: updated in training, used in evaluation; null to keep none (training only).</param>
    /// <param name="runningVar">Running variances [C], as <paramref name="runningMean"/>.</param>
    /// <param name="weight">w [C], or null for 1.</param>
    /// <param name="bias">b [C], or null for 0.</param>
    /// <param name="training">Batch statistics (true) or running statistics (false).</param>
    /// <param name="momentum">The weight of the batch in the running statistics' update.</param>
    /// <param name="eps">ε, added to the variance.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> BatchNorm<T>(
        Tensor<T> input, Tensor<T>? runningMean, Tensor<T>? runningVar, Tensor<T>? weight = null, Tensor<T>? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2)
        {
            Shapes.Throw(nameof(BatchNorm), $"input {Shapes.Format(input.Shape)}: needs [N, C] or [N, C, *].", file, line);
        }

        int n = input.Shape[0], c = input.Shape[1], inner = c == 0 || n == 0 ? 0 : input.Size / (n * c), m = n * inner;
        foreach ((string name, Tensor<T>? t) in (ReadOnlySpan<(string, Tensor<T>?)>)[("running mean", runningMean), ("running variance", runningVar), ("weight", weight), ("bias", bias)])
        {
            if (t is not null && (t.Rank != 1 || t.Size != c))
            {
                Shapes.Throw(nameof(BatchNorm), $"input {Shapes.Format(input.Shape)} has {c} channels but the {name} has shape {Shapes.Format(t.Shape)} (needs [{c}]).", file, line);
            }
        }

        if ((runningMean is null) != (runningVar is null))
        {
            Shapes.Throw(nameof(BatchNorm), "give both running statistics or neither.", file, line);
        }

        if (!(eps >= 0) || !(momentum >= 0 && momentum <= 1))
        {
            Shapes.Throw(nameof(BatchNorm), $"eps {eps} must be ≥ 0 and momentum {momentum} in [0, 1].", file, line);
        }

        int[] axes = [0, .. Enumerable.Range(2, input.Rank - 2)];
        int[] keep = [1, c, .. Enumerable.Repeat(1, input.Rank - 2)];
        T epsilon = T.CreateChecked(eps);
        if (!training)
        {
            if (runningMean is null || runningVar is null)
            {
                Shapes.Throw(nameof(BatchNorm), "evaluation mode needs the running mean and variance.", file, line);
            }

            // (x − r_mean)·(w/√(r_var + ε)) + b, the statistics being constants; traced as one op.
            using OpTrace.Composite trace = OpTrace.BeginComposite();
            var inverseStd = new Tensor<T>(GC.AllocateUninitializedArray<T>(c), keep);
            TensorPrimitives.Add(runningVar!.Span, epsilon, inverseStd.Data);
            TensorPrimitives.ReciprocalSqrt(inverseStd.Data, inverseStd.Data);
            Tensor<T> y = input.Sub(runningMean!.Detach().Reshape(keep, file, line), file, line).Mul(inverseStd, file, line);
            if (weight is not null)
            {
                y = y.Mul(weight.Reshape(keep, file, line), file, line);
            }

            y = bias is null ? y : y.Add(bias.Reshape(keep, file, line), file, line);
            Tensor<T>[] traced = [input, runningMean, runningVar!, .. weight is null ? [] : new[] { weight }, .. bias is null ? [] : new[] { bias }];
            return trace.Done(nameof(BatchNorm), y, file, line, traced).Traced("eps", eps).Traced("weight", weight is not null).Traced("bias", bias is not null);
        }

        if (m < 2)
        {
            Shapes.Throw(nameof(BatchNorm), $"input {Shapes.Format(input.Shape)}: training needs more than one value per channel.", file, line);
        }

        T[] mean = new T[c], variance = new T[c], inverse = new T[c];
        var output = new Tensor<T>(Uninitialized<T>(input.Size), input.ShapeArray());
        Kernels.BatchNorm.TrainForward(input.Data, output.Data, n, c, inner, weight?.Data, bias?.Data, epsilon, mean, variance, inverse, Parallelism.MaxThreads);
        if (runningMean is not null)
        {
            // r ← (1 − momentum)·r + momentum·batch statistic, with the unbiased variance (as PyTorch).
            T keepOld = T.CreateChecked(1 - momentum), take = T.CreateChecked(momentum), unbiased = T.CreateChecked(m) / T.CreateChecked(m - 1);
            Kernels.BatchNorm.UpdateRunning(runningMean.MutableSpan(), mean, keepOld, take);
            Kernels.BatchNorm.UpdateRunning(runningVar!.MutableSpan(), variance, keepOld, take * unbiased);
        }

        Tensor<T>[] inputs = [input, .. weight is null ? [] : new[] { weight }, .. bias is null ? [] : new[] { bias }];
        // With x̂ = (x − μ)/σ: dx = (w/σ)·(g − mean(g) − x̂·mean(g·x̂)), dw = Σ g·x̂, db = Σ g; composed, the statistics
        // are recomputed from x with recorded ops, so that second derivatives come out right.
        return Autograd.Record(nameof(BatchNorm), output, g =>
        {
            Tensor<T>? dx, dw, db;
            if (Fusion.Composed)
            {
                Tensor<T> centred = input.Sub(input.Mean(axes, keepDim: true, file, line), file, line);
                Tensor<T> invStd = centred.Mul(centred).Mean(axes, keepDim: true, file, line).Add(epsilon, file, line).Pow(T.CreateChecked(-0.5), file, line);
                Tensor<T> xHat = centred.Mul(invStd, file, line);
                Tensor<T> gxHat = g.Mul(xHat, file, line);
                Tensor<T> scale = weight is null ? invStd : invStd.Mul(weight.Reshape(keep, file, line), file, line);
                dx = input.GradRequired ? g.Sub(g.Mean(axes, keepDim: true, file, line)).Sub(xHat.Mul(gxHat.Mean(axes, keepDim: true, file, line))).Mul(scale) : null;
                dw = weight is not null && weight.GradRequired ? gxHat.Sum(axes, false, file, line) : null;
                db = bias is not null && bias.GradRequired ? g.Sum(axes, false, file, line) : null;
            }
            else
            {
                (dx, dw, db) = Fusion.BatchNormBackward(g, input, weight, bias, mean, inverse, n, c, inner);
            }

            return [dx, .. weight is null ? [] : new[] { dw }, .. bias is null ? [] : new[] { db }];
        }, file, line, inputs).Traced("training", true).Traced("eps", eps);
    }
}
