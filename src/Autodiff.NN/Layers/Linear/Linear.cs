using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// A fully connected layer, y = x·Wᵀ + b, with the weight stored [out, in] as in PyTorch's <c>nn.Linear</c>.
/// </summary>
/// <remarks>
/// Initialised as PyTorch does: W and b uniform in ±1/√in (Kaiming-uniform with a = √5, i.e. gain √(1/3)), drawn
/// from <c>seed</c> so that a run repeats. Layers built with the same seed and shape start equal: give each its own.
/// </remarks>
public sealed class Linear : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    /// <param name="inFeatures">The size of each input sample (the last axis of the input).</param>
    /// <param name="outFeatures">The size of each output sample.</param>
    /// <param name="bias">Whether to add a learned bias.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, int? seed = null)
    {
        if (inFeatures < 1 || outFeatures < 1)
        {
            throw new ArgumentOutOfRangeException(inFeatures < 1 ? nameof(inFeatures) : nameof(outFeatures),
                $"Linear: a layer needs at least one input and one output feature, got inFeatures = {inFeatures}, outFeatures = {outFeatures}.");
        }

        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        (Weight, Bias) = Init.LayerParameters([outFeatures, inFeatures], outFeatures, bias, fanIn: inFeatures, seed ?? Generator.NextSeed());
    }

    /// <summary>The size of each input sample.</summary>
    public int InFeatures { get; }

    /// <summary>The size of each output sample.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, shape [out, in].</summary>
    public Tensor<float> Weight { get; }

    /// <summary>The bias, shape [out]; null when the layer was built without one.</summary>
    public Tensor<float>? Bias { get; }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    /// <summary>x·Wᵀ + b for x of shape [*, in]; the result has shape [*, out].</summary>
    /// <param name="input">The input, any rank ≥ 1 with last axis <see cref="InFeatures"/>.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    public override string ToString() => $"Linear(in: {InFeatures}, out: {OutFeatures}, bias: {Bias is not null})";

    internal override string Summary => $"{InFeatures}→{OutFeatures}";
}

public static partial class Functional
{
    /// <summary>y = x·Wᵀ + b (PyTorch's <c>F.linear</c>).</summary>
    /// <remarks>
    /// Leading axes of x are batch axes: x of shape [*, in] gives [*, out]. Backward comes from the tape:
    /// dx = g·W, dW = gᵀ·x, db = g summed over the batch axes.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input, shape [*, in].</param>
    /// <param name="weight">The weight, shape [out, in].</param>
    /// <param name="bias">The bias, shape [out], or null.</param>
    public static Tensor<T> Linear<T>(Tensor<T> input, Tensor<T> weight, Tensor<T>? bias = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
        {
            throw Functional.ShapeError("Linear", $"the weight must have shape [out, in], got {Format(weight.Shape)}.", nameof(weight));
        }

        int inFeatures = weight.Shape[1], outFeatures = weight.Shape[0];
        if (input.Rank == 0 || input.Shape[^1] != inFeatures)
        {
            throw Functional.ShapeError("Linear", $"input of shape {Format(input.Shape)} does not fit weight of shape {Format(weight.Shape)} (the input's last axis must be {inFeatures}).", nameof(input));
        }

        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outFeatures))
        {
            throw Functional.ShapeError("Linear", $"bias of shape {Format(bias.Shape)} does not fit weight of shape {Format(weight.Shape)} (needs [{outFeatures}]).", nameof(bias));
        }

        // One engine op (x·Wᵀ + b, W read transposed in place by GEMM); batch axes are folded into one and unfolded after.
        if (input.Rank == 2)
        {
            return Tensor.Linear(input, weight, bias);
        }

        int[] shape = input.ShapeArray();
        shape[^1] = outFeatures;
        int rows = shape[..^1].Aggregate(1, (p, d) => p * d); // not -1: with no input features it could not be inferred
        return Tensor.Linear(input.Reshape([rows, inFeatures]), weight, bias).Reshape(shape);
    }
}
