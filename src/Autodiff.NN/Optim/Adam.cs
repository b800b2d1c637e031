using System.Numerics.Tensors;

namespace Autodiff.NN.Optim;

/// <summary>
/// Adam (Kingma &amp; Ba) with the update rule of <c>torch.optim.Adam</c>, and L2 weight decay added to the gradient.
/// </summary>
/// <remarks>
/// Per step t (counted per parameter, from 1), with g the gradient (plus λθ when weight decay is on):
/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ), θ ← θ − lr·m̂/(√v̂ + ε).
/// At the first step m̂ = g and v̂ = g², so every parameter moves by lr·g/(|g| + ε) ≈ lr·sign(g).
/// </remarks>
public class Adam : Optimizer
{
    private readonly float[][] _m;
    private readonly float[][] _v;
    private readonly int[] _steps;
    private readonly float[] _gradient;
    private readonly float[] _denominator;
    private readonly bool _decoupled;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The learning rate, ≥ 0.</param>
    /// <param name="beta1">The decay β₁ of the first moment, in [0, 1).</param>
    /// <param name="beta2">The decay β₂ of the second moment, in [0, 1).</param>
    /// <param name="eps">ε, added to √v̂ to keep the step finite; ≥ 0.</param>
    /// <param name="weightDecay">The L2 penalty λ ≥ 0, added to the gradient as λθ.</param>
    public Adam(IEnumerable<Tensor<float>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false)
    {
    }

    /// <summary>For <see cref="AdamW"/>: the same moments, with the weight decay applied to θ directly.</summary>
    private protected Adam(IEnumerable<Tensor<float>> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate)
    {
        CheckUnitInterval(beta1, nameof(beta1));
        CheckUnitInterval(beta2, nameof(beta2));
        CheckNonNegative(eps, nameof(eps));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _decoupled = decoupled;
        _m = AllocateState();
        _v = AllocateState();
        _steps = new int[Parameters.Count];
        _gradient = new float[MaxParameterSize];
        _denominator = new float[MaxParameterSize];
    }

    /// <summary>The decay β₁ of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>The decay β₂ of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>ε in the denominator.</summary>
    public double Eps { get; }

    /// <summary>The weight decay λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected sealed override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient)
    {
        int t = ++_steps[index];
        int n = parameter.Length;
        ReadOnlySpan<float> g = gradient;
        Span<float> m = _m[index], v = _v[index];
        Span<float> scratch = _gradient.AsSpan(0, n), denominator = _denominator.AsSpan(0, n);
        if (WeightDecay != 0)
        {
            if (_decoupled)
            {
                TensorPrimitives.Multiply(parameter, (float)(1 - (LearningRate * WeightDecay)), parameter);   // θ ← θ(1 − lr·λ)
            }
            else
            {
                TensorPrimitives.MultiplyAdd(parameter, (float)WeightDecay, g, scratch);                     // g + λθ
                g = scratch;
            }
        }

        TensorPrimitives.Lerp(m, g, (float)(1 - Beta1), m);                                 // m ← β₁m + (1 − β₁)g
        TensorPrimitives.Multiply(v, (float)Beta2, v);
        TensorPrimitives.Multiply(g, (float)(1 - Beta2), denominator);
        TensorPrimitives.MultiplyAdd(denominator, g, v, v);                                   // v ← β₂v + (1 − β₂)g²

        // Both bias corrections are folded into scalars, as PyTorch does: lr/(1 − β₁ᵗ) and √(1 − β₂ᵗ).
        double stepSize = LearningRate / (1 - Math.Pow(Beta1, t));
        float correction2 = (float)Math.Sqrt(1 - Math.Pow(Beta2, t));
        TensorPrimitives.Sqrt(v, denominator);
        TensorPrimitives.Divide(denominator, correction2, denominator);
        TensorPrimitives.Add(denominator, (float)Eps, denominator);                           // √v̂ + ε
        TensorPrimitives.Divide(m, denominator, denominator);
        TensorPrimitives.MultiplyAdd(denominator, (float)-stepSize, parameter, parameter);    // θ ← θ − lr·m̂/(√v̂ + ε)
    }
}
