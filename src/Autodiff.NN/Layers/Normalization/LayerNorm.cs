using System.Globalization;

namespace Autodiff.NN;

/// <summary>
/// Layer normalisation over the trailing axes (PyTorch's <c>nn.LayerNorm</c>): each sample's last axes normalised to
/// mean 0 and variance 1, then scaled by "weight" (ones to start) and shifted by "bias" (zeros).
/// </summary>
public sealed class LayerNorm : Module<Tensor<float>, Tensor<float>>
{
    private readonly int[] _shape;

    /// <summary>Creates the layer.</summary>
    /// <param name="normalizedShape">The trailing axes' extents, e.g. [d_model].</param>
    /// <param name="eps">ε, added to the variance.</param>
    /// <param name="elementwiseAffine">Whether to learn weight (and bias).</param>
    /// <param name="bias">Whether to learn a bias, when affine.</param>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(normalizedShape), $"LayerNorm: the normalised shape must be non-empty extents ≥ 1, got {Functional.Format(normalizedShape)}.");
        }

        _shape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = Tensor.Ones<float>(_shape).RequiresGrad();
            Bias = bias ? Tensor.Zeros<float>(_shape).RequiresGrad() : null;
        }
    }

    /// <summary>Creates the layer over the last axis of extent <paramref name="normalizedSize"/>.</summary>
    /// <param name="normalizedSize">The last axis' extent.</param>
    /// <param name="eps">ε.</param>
    public LayerNorm(int normalizedSize, double eps = 1e-5)
        : this([normalizedSize], eps)
    {
    }

    /// <summary>The normalised trailing axes' extents.</summary>
    public ReadOnlySpan<int> NormalizedShape => _shape;

    /// <summary>ε.</summary>
    public double Eps { get; }

    /// <summary>The scale, of the normalised shape; null when not affine.</summary>
    public Tensor<float>? Weight { get; }

    /// <summary>The shift; null without one.</summary>
    public Tensor<float>? Bias { get; }

    /// <summary>The input normalised over its trailing axes.</summary>
    /// <param name="input">x [*, normalized shape…].</param>
    public override Tensor<float> Forward(Tensor<float> input) => Tensor.LayerNorm(input, _shape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters()
    {
        if (Weight is not null)
        {
            yield return ("weight", Weight);
        }

        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    internal override string Summary => Functional.Format(_shape);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LayerNorm({Functional.Format(_shape)}, eps: {Eps}, elementwise_affine: {Weight is not null})");
}

/// <summary>
/// RMS normalisation over the trailing axes (PyTorch's <c>nn.RMSNorm</c>): x/√(mean(x²) + ε)·weight, weight ones to
/// start; ε defaults to the machine epsilon of float, as PyTorch's <c>eps=None</c>.
/// </summary>
public sealed class RMSNorm : Module<Tensor<float>, Tensor<float>>
{
    private readonly int[] _shape;

    /// <summary>Creates the layer.</summary>
    /// <param name="normalizedShape">The trailing axes' extents.</param>
    /// <param name="eps">ε; null for the machine epsilon.</param>
    /// <param name="elementwiseAffine">Whether to learn a weight.</param>
    public RMSNorm(int[] normalizedShape, double? eps = null, bool elementwiseAffine = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(normalizedShape), $"RMSNorm: the normalised shape must be non-empty extents ≥ 1, got {Functional.Format(normalizedShape)}.");
        }

        _shape = (int[])normalizedShape.Clone();
        Eps = eps;
        Weight = elementwiseAffine ? Tensor.Ones<float>(_shape).RequiresGrad() : null;
    }

    /// <summary>ε, or null for the machine epsilon.</summary>
    public double? Eps { get; }

    /// <summary>The scale; null when not affine.</summary>
    public Tensor<float>? Weight { get; }

    /// <summary>The input normalised by its root mean square over the trailing axes.</summary>
    /// <param name="input">x [*, normalized shape…].</param>
    public override Tensor<float> Forward(Tensor<float> input) => Tensor.RmsNorm(input, _shape, Weight, Eps);

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters()
    {
        if (Weight is not null)
        {
            yield return ("weight", Weight);
        }
    }

    internal override string Summary => Functional.Format(_shape);

    /// <inheritdoc/>
    public override string ToString() => $"RMSNorm({Functional.Format(_shape)})";
}
