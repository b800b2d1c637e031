using System.Globalization;

namespace Autodiff.NN.Optim;

/// <summary>
/// Updates a fixed list of float32 parameters from their gradients (like <c>torch.optim.Optimizer</c> with one
/// parameter group): call <see cref="Step"/> after <c>Backward</c>, and <see cref="ZeroGrad"/> before the next one.
/// </summary>
/// <remarks>
/// Per-parameter state (moments, momentum buffers) and scratch space are allocated once, at construction, so that a
/// training loop's steps allocate nothing. A parameter whose <see cref="Tensor{T}.Grad"/> is null (it took no part in
/// the loss) is skipped, its state untouched.
/// </remarks>
public abstract class Optimizer
{
    private readonly Tensor<float>[] _parameters;
    private double _learningRate;

    /// <summary>Takes the parameters to update.</summary>
    /// <param name="parameters">The parameters, e.g. <see cref="Module.Parameters"/>; at least one, each at most once.</param>
    /// <param name="learningRate">The initial learning rate, ≥ 0.</param>
    /// <exception cref="ArgumentException">The list is empty or holds a parameter twice.</exception>
    protected Optimizer(IEnumerable<Tensor<float>> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        string name = GetType().Name;
        if (_parameters.Length == 0)
        {
            throw new ArgumentException($"{name}: the parameter list is empty.", nameof(parameters));
        }

        var seen = new HashSet<Tensor<float>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(_parameters[i], nameof(parameters));
            if (!_parameters[i].IsLeaf)
            {
                // Its values are recomputed by the forward pass: an update would be overwritten, and its .Grad never filled.
                throw new ArgumentException($"{name}: can't optimize a non-leaf tensor: parameter {i} (shape {Functional.Format(_parameters[i].Shape)}) was computed by a recorded op. " +
                    "Optimise the leaf it came from, or make a leaf of it with Detach().RequiresGrad() before the forward pass.", nameof(parameters));
            }

            if (!_parameters[i].GradRequired)
            {
                throw new ArgumentException($"{name}: parameter {i} (shape {Functional.Format(_parameters[i].Shape)}) does not require grad, so it would never move; call RequiresGrad() on it.", nameof(parameters));
            }

            if (!seen.Add(_parameters[i]))
            {
                // It would be updated twice per step.
                throw new ArgumentException($"{name}: parameter {i} (shape {Functional.Format(_parameters[i].Shape)}) appears more than once in the list.", nameof(parameters));
            }
        }

        LearningRate = learningRate;
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Tensor<float>> Parameters => _parameters;

    /// <summary>The learning rate of the next step; settable, so that schedules can change it between steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or not finite.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            CheckNonNegative(value, nameof(LearningRate));
            _learningRate = value;
        }
    }

    /// <summary>The size of the largest parameter: the length scratch buffers need.</summary>
    protected int MaxParameterSize => _parameters.Max(p => p.Size);

    /// <summary>Updates every parameter that has a gradient, in place.</summary>
    /// <remarks>
    /// Every parameter and gradient is checked before the first is updated: a step that throws has changed nothing.
    /// </remarks>
    /// <exception cref="InvalidOperationException">A gradient's shape differs from its parameter's, or a gradient can no longer be read.</exception>
    public void Step()
    {
        string name = GetType().Name;
        for (int i = 0; i < _parameters.Length; i++)
        {
            Tensor<float> parameter = _parameters[i];
            if (parameter.Grad is { } grad)
            {
                if (!grad.Shape.SequenceEqual(parameter.Shape))
                {
                    throw new InvalidOperationException($"{name}: parameter {i} has shape {Functional.Format(parameter.Shape)} but its gradient {Functional.Format(grad.Shape)}; nothing was updated.");
                }

                _ = grad.Span; // a gradient recycled by a tape's Reset() throws here, before any parameter moved
            }
        }

        for (int i = 0; i < _parameters.Length; i++)
        {
            Tensor<float> parameter = _parameters[i];
            if (parameter.Grad is { } grad)
            {
                Update(i, parameter.MutableSpan(), grad.Span);
            }
        }
    }

    /// <summary>Zeroes the gradient of every parameter (keeping the buffers).</summary>
    public void ZeroGrad()
    {
        foreach (Tensor<float> parameter in _parameters)
        {
            parameter.ZeroGrad();
        }
    }

    /// <summary>Applies one step of the update rule to parameter <paramref name="index"/>.</summary>
    /// <param name="index">The parameter's position in <see cref="Parameters"/>, to find its state.</param>
    /// <param name="parameter">The parameter's values, updated in place.</param>
    /// <param name="gradient">Its gradient; not to be modified.</param>
    protected abstract void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient);

    /// <summary>A float32 buffer per parameter, of the parameter's size, zeroed.</summary>
    protected float[][] AllocateState() => _parameters.Select(p => new float[p.Size]).ToArray();

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0.</summary>
    /// <param name="value">The hyperparameter.</param>
    /// <param name="name">Its name, for the message.</param>
    protected void CheckNonNegative(double value, string name)
    {
        if (!(value >= 0 && double.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{GetType().Name}: {name} must be finite and ≥ 0, got {value}."));
        }
    }

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; 1.</summary>
    /// <param name="value">The hyperparameter.</param>
    /// <param name="name">Its name, for the message.</param>
    protected void CheckUnitInterval(double value, string name)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"{GetType().Name}: {name} must lie in [0, 1), got {value}."));
        }
    }
}
