using System.Numerics.Tensors;

namespace Autodiff.NN.Optim;

/// <summary>RMSprop (Hinton) with the update rule of <c>torch.optim.RMSprop</c> (not centred).</summary>
/// <remarks>
/// Per step, with g the gradient (plus λθ when weight decay is on): v ← αv + (1 − α)g²; without momentum
/// θ ← θ − lr·g/(√v + ε); with momentum μ, b ← μb + g/(√v + ε) (b starts at 0) and θ ← θ − lr·b.
/// </remarks>
public sealed class RMSprop : Optimizer
{
    private readonly float[][] _squareAverages;
    private readonly float[][]? _momentumBuffers;
    private readonly float[] _gradient;
    private readonly float[] _denominator;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The learning rate, ≥ 0.</param>
    /// <param name="alpha">The smoothing constant α of the squared-gradient average, in [0, 1).</param>
    /// <param name="eps">ε, added to √v; ≥ 0.</param>
    /// <param name="momentum">The momentum factor μ in [0, 1).</param>
    /// <param name="weightDecay">The L2 penalty λ ≥ 0, added to the gradient as λθ.</param>
    public RMSprop(IEnumerable<Tensor<float>> parameters, double learningRate = 0.01, double alpha = 0.99, double eps = 1e-8, double momentum = 0, double weightDecay = 0)
        : base(parameters, learningRate)
    {
        CheckUnitInterval(alpha, nameof(alpha));
        CheckNonNegative(eps, nameof(eps));
        CheckUnitInterval(momentum, nameof(momentum));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        Alpha = alpha;
        Eps = eps;
        Momentum = momentum;
        WeightDecay = weightDecay;
        _squareAverages = AllocateState();
        _momentumBuffers = momentum > 0 ? AllocateState() : null;
        _gradient = new float[MaxParameterSize];
        _denominator = new float[MaxParameterSize];
    }

    /// <summary>The smoothing constant α.</summary>
    public double Alpha { get; }

    /// <summary>ε in the denominator.</summary>
    public double Eps { get; }

    /// <summary>The momentum factor μ.</summary>
    public double Momentum { get; }

    /// <summary>The L2 penalty λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient)
    {
        int n = parameter.Length;
        ReadOnlySpan<float> g = gradient;
        Span<float> v = _squareAverages[index];
        Span<float> scratch = _gradient.AsSpan(0, n), denominator = _denominator.AsSpan(0, n);
        if (WeightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(parameter, (float)WeightDecay, g, scratch);        // g + λθ
            g = scratch;
        }

        TensorPrimitives.Multiply(v, (float)Alpha, v);
        TensorPrimitives.Multiply(g, (float)(1 - Alpha), denominator);
        TensorPrimitives.MultiplyAdd(denominator, g, v, v);                                   // v ← αv + (1 − α)g²
        TensorPrimitives.Sqrt(v, denominator);
        TensorPrimitives.Add(denominator, (float)Eps, denominator);                           // √v + ε
        TensorPrimitives.Divide(g, denominator, denominator);                                 // g/(√v + ε)
        if (_momentumBuffers is not null)
        {
            Span<float> b = _momentumBuffers[index];
            TensorPrimitives.MultiplyAdd(b, (float)Momentum, denominator, b);                // b ← μb + g/(√v + ε)
            TensorPrimitives.MultiplyAdd(b, (float)-LearningRate, parameter, parameter);
        }
        else
        {
            TensorPrimitives.MultiplyAdd(denominator, (float)-LearningRate, parameter, parameter);
        }
    }
}
