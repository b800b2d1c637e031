using System.Numerics.Tensors;

namespace Autodiff.NN.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, with the update rules
/// of <c>torch.optim.SGD</c> (no dampening).
/// </summary>
/// <remarks>
/// Per step, with g the gradient: g ← g + λθ (weight decay); with momentum μ, b ← μb + g (b = g at the first step),
/// and then g ← g + μb (Nesterov) or g ← b; finally θ ← θ − lr·g. This differs from the textbook v ← μv − lr·g by
/// where the learning rate enters, which matters only when it changes during training.
/// </remarks>
public sealed class SGD : Optimizer
{
    private readonly float[][]? _momentumBuffers;
    private readonly bool[] _started;
    private readonly float[] _scratch;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">The parameters to update.</param>
    /// <param name="learningRate">The learning rate, ≥ 0.</param>
    /// <param name="momentum">The momentum factor μ in [0, 1); 0 for plain SGD.</param>
    /// <param name="nesterov">Use Nesterov momentum (needs μ &gt; 0).</param>
    /// <param name="weightDecay">The L2 penalty λ ≥ 0, added to the gradient as λθ.</param>
    public SGD(IEnumerable<Tensor<float>> parameters, double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0)
        : base(parameters, learningRate)
    {
        CheckUnitInterval(momentum, nameof(momentum));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0)
        {
            throw new ArgumentException("SGD: Nesterov momentum needs a momentum > 0.", nameof(nesterov));
        }

        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        _momentumBuffers = momentum > 0 ? AllocateState() : null;
        _started = new bool[Parameters.Count];
        _scratch = new float[MaxParameterSize];
    }

    /// <summary>The momentum factor μ.</summary>
    public double Momentum { get; }

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; }

    /// <summary>The L2 penalty λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient)
    {
        ReadOnlySpan<float> g = gradient;
        Span<float> scratch = _scratch.AsSpan(0, parameter.Length);
        if (WeightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(parameter, (float)WeightDecay, g, scratch);       // g + λθ
            g = scratch;
        }

        if (_momentumBuffers is not null)
        {
            Span<float> b = _momentumBuffers[index];
            float mu = (float)Momentum;
            if (_started[index])
            {
                TensorPrimitives.MultiplyAdd(b, mu, g, b);                                   // b ← μb + g
            }
            else
            {
                g.CopyTo(b);                                                                 // b ← g at the first step
                _started[index] = true;
            }

            if (Nesterov)
            {
                TensorPrimitives.MultiplyAdd(b, mu, g, scratch);                             // g + μb
                g = scratch;
            }
            else
            {
                g = b;
            }
        }

        TensorPrimitives.MultiplyAdd(g, (float)-LearningRate, parameter, parameter);         // θ ← θ − lr·g
    }
}
