using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Layer and RMS normalisation over the trailing axes. One fused op each (two passes forwards per row, two
// backwards), saving the per-row statistics; the rule is written composed, recomputing the statistics with recorded
// ops, and Fusion.LayerNormBackward/RmsNormBackward stand in for it in an eager sweep.
public static partial class Tensor
{
    /// <summary>
    /// Layer normalisation (PyTorch's <c>F.layer_norm</c>) over the trailing axes <paramref name="normalizedShape"/>:
    /// y = (x − μ)/√(σ² + ε)·w + b, μ and the biased σ² over those axes of each row.
    /// </summary>
    /// <remarks>Backward, with x̂ = (x − μ)/σ and gw = g·w: dx = (gw − mean(gw) − x̂·mean(gw·x̂))/σ, dw = Σ g·x̂, db = Σ g.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, whose trailing axes are <paramref name="normalizedShape"/>.</param>
    /// <param name="normalizedShape">The normalised axes' extents, e.g. [d_model].</param>
    /// <param name="weight">w of shape <paramref name="normalizedShape"/>, or null for 1.</param>
    /// <param name="bias">b of that shape, or null for 0.</param>
    /// <param name="eps">ε.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> LayerNorm<T>(Tensor<T> input, ReadOnlySpan<int> normalizedShape, Tensor<T>? weight = null, Tensor<T>? bias = null, double eps = 1e-5, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (int rows, int d, int[] axes) = NormRows(input, normalizedShape, weight, bias, nameof(LayerNorm), eps, file, line);
        T epsilon = T.CreateChecked(eps);
        var y = new Tensor<T>(Uninitialized<T>(input.Size), input.ShapeArray());
        T[] mean = Uninitialized<T>(rows), inverse = Uninitialized<T>(rows);
        Kernels.LayerNorm.Forward(input.Data, y.Data, rows, d, weight?.Data, bias?.Data, epsilon, mean, inverse, Parallelism.MaxThreads);
        Tensor<T>[] inputs = [input, .. weight is null ? [] : new[] { weight }, .. bias is null ? [] : new[] { bias }];
        int[] leading = [.. Enumerable.Range(0, input.Rank - axes.Length)];
        return Autograd.Record(nameof(LayerNorm), y, g =>
        {
            if (!Fusion.Composed)
            {
                return Fusion.LayerNormBackward(g, input, weight, bias, mean, inverse, rows, d);
            }

            Tensor<T> centred = input.Sub(input.Mean(axes, keepDim: true, file, line), file, line);
            Tensor<T> invStd = centred.Mul(centred).Mean(axes, keepDim: true, file, line).Add(epsilon, file, line).Pow(T.CreateChecked(-0.5), file, line);
            Tensor<T> xHat = centred.Mul(invStd, file, line);
            Tensor<T> gw = weight is null ? g : g.Mul(weight, file, line);
            Tensor<T>? dx = input.GradRequired ? gw.Sub(gw.Mean(axes, keepDim: true)).Sub(xHat.Mul(gw.Mul(xHat).Mean(axes, keepDim: true))).Mul(invStd) : null;
            Tensor<T>? dw = weight is not null && weight.GradRequired ? SumLeading(g.Mul(xHat), leading) : null;
            Tensor<T>? db = bias is not null && bias.GradRequired ? SumLeading(g, leading) : null;
            return [dx, .. weight is null ? [] : new[] { dw }, .. bias is null ? [] : new[] { db }];
        }, file, line, inputs).Traced("axes", axes).Traced("eps", eps).Traced("weight", weight is not null).Traced("bias", bias is not null);
    }

    /// <summary>
    /// RMS normalisation (PyTorch's <c>F.rms_norm</c>) over the trailing axes: y = x/√(mean(x²) + ε)·w.
    /// </summary>
    /// <remarks>Backward, with r = 1/√(mean(x²) + ε) and gw = g·w: dx = r·gw − x·r³·mean(gw·x), dw = Σ g·x·r.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, whose trailing axes are <paramref name="normalizedShape"/>.</param>
    /// <param name="normalizedShape">The normalised axes' extents.</param>
    /// <param name="weight">w of shape <paramref name="normalizedShape"/>, or null for 1.</param>
    /// <param name="eps">ε; null for the machine epsilon of T, as PyTorch.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> RmsNorm<T>(Tensor<T> input, ReadOnlySpan<int> normalizedShape, Tensor<T>? weight = null, double? eps = null, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double e = eps ?? (typeof(T) == typeof(float) ? Math.Pow(2, -23) : Math.Pow(2, -52));
        (int rows, int d, int[] axes) = NormRows(input, normalizedShape, weight, null, nameof(RmsNorm), e, file, line);
        T epsilon = T.CreateChecked(e);
        var y = new Tensor<T>(Uninitialized<T>(input.Size), input.ShapeArray());
        T[] inverse = Uninitialized<T>(rows);
        Kernels.LayerNorm.RmsForward(input.Data, y.Data, rows, d, weight?.Data, epsilon, inverse, Parallelism.MaxThreads);
        int[] leading = [.. Enumerable.Range(0, input.Rank - axes.Length)];
        return Autograd.Record(nameof(RmsNorm), y, g =>
        {
            if (!Fusion.Composed)
            {
                return Fusion.RmsNormBackward(g, input, weight, inverse, rows, d);
            }

            Tensor<T> r = input.Mul(input).Mean(axes, keepDim: true, file, line).Add(epsilon, file, line).Pow(T.CreateChecked(-0.5), file, line);
            Tensor<T> gw = weight is null ? g : g.Mul(weight, file, line);
            Tensor<T>? dx = input.GradRequired ? gw.Mul(r).Sub(input.Mul(r.Mul(r).Mul(r)).Mul(gw.Mul(input).Mean(axes, keepDim: true))) : null;
            Tensor<T>? dw = weight is not null && weight.GradRequired ? SumLeading(g.Mul(input).Mul(r), leading) : null;
            return weight is null ? [dx] : [dx, dw];
        }, file, line, weight is null ? [input] : [input, weight]).Traced("axes", axes).Traced("eps", e).Traced("weight", weight is not null);
    }

    /// <summary>The sum over the leading (not normalised) axes; none for an input that is all normalised axes.</summary>
    private static Tensor<T> SumLeading<T>(Tensor<T> t, int[] leading)
        where T : unmanaged, IFloatingPointIeee754<T>
        => leading.Length == 0 ? t : t.Sum(leading);

    /// <summary>Checks a normalisation's shapes; the rows, the row length and the normalised axes.</summary>
    private static (int Rows, int D, int[] Axes) NormRows<T>(Tensor<T> input, ReadOnlySpan<int> normalizedShape, Tensor<T>? weight, Tensor<T>? bias, string op, double eps, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        int k = normalizedShape.Length;
        if (k == 0 || k > input.Rank || !input.Shape[^k..].SequenceEqual(normalizedShape))
        {
            Shapes.Throw(op, $"input {Shapes.Format(input.Shape)} does not end in the normalised shape {Shapes.Format(normalizedShape)}.", file, line);
        }

        foreach ((string name, Tensor<T>? t) in (ReadOnlySpan<(string, Tensor<T>?)>)[("weight", weight), ("bias", bias)])
        {
            if (t is not null && !t.Shape.SequenceEqual(normalizedShape))
            {
                Shapes.Throw(op, $"the {name} has shape {Shapes.Format(t.Shape)}, the normalised shape is {Shapes.Format(normalizedShape)}.", file, line);
            }
        }

        if (!(eps >= 0))
        {
            Shapes.Throw(op, $"eps {eps} must be ≥ 0.", file, line);
        }

        int d = Shapes.Size(normalizedShape);
        return (d == 0 ? 0 : input.Size / d, d, [.. Enumerable.Range(input.Rank - k, k)]);
    }
}
