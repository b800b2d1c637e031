using System.Globalization;
using System.Text;

namespace Autodiff.NN;

/// <summary>
/// Modules applied one after another, the output of each the input of the next (PyTorch's <c>nn.Sequential</c>);
/// the children are named by their index, so parameters are "0.weight", "0.bias", "2.weight", ….
/// </summary>
public sealed class Sequential : Module<Tensor<float>, Tensor<float>>
{
    private readonly List<Module<Tensor<float>, Tensor<float>>> _modules = [];

    /// <summary>Creates the chain from <paramref name="modules"/>, in order.</summary>
    /// <param name="modules">The modules.</param>
    public Sequential(params IEnumerable<Module<Tensor<float>, Tensor<float>>> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (Module<Tensor<float>, Tensor<float>> module in modules)
        {
            Add(module);
        }
    }

    /// <summary>The number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>The module at <paramref name="index"/>.</summary>
    /// <param name="index">The position, from 0.</param>
    public Module<Tensor<float>, Tensor<float>> this[int index] => _modules[index];

    /// <summary>Appends a module (named by its index) and returns this, so that calls can be chained.</summary>
    /// <param name="module">The module.</param>
    public Sequential Add(Module<Tensor<float>, Tensor<float>> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        _modules.Add(module);
        return this;
    }

    /// <summary>
    /// Checkpoint every this many consecutive modules as one segment (<see cref="Autograd.Checkpoint{T}(Func{Tensor{T}, Tensor{T}}, Tensor{T}, string?, int)"/>,
    /// as <c>torch.utils.checkpoint.checkpoint_sequential</c>): a segment keeps only its input for the backward pass
    /// and runs again inside it. 0 (the default) checkpoints nothing.
    /// </summary>
    /// <remarks>
    /// The last segment runs normally, as in PyTorch: its activations are needed as soon as the backward pass begins.
    /// About √n modules per segment keep the least (√n segment inputs plus one segment's activations) for one more
    /// forward pass. Dropout inside a segment sees the same masks in the re-run. A batch norm's running statistics
    /// are updated by both runs.
    /// </remarks>
    public int CheckpointEvery
    {
        get => _checkpointEvery;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _checkpointEvery = value;
        }
    }

    private int _checkpointEvery;

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Module Module)> ChildModules()
        => _modules.Select((m, i) => (i.ToString(CultureInfo.InvariantCulture), (Module)m));

    /// <summary>Runs the modules in order; with none, returns the input.</summary>
    /// <param name="input">The input of the first module.</param>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        // Each child runs in a scope named by its place here (Sequential[2]); when Forward was called directly rather
        // than through Call, this container opens its own scope first so that the children's paths start from it.
        using CallScope self = IsRunning ? default : EnterCall(null, 0);
        int every = _checkpointEvery;
        if (every == 0 || every >= _modules.Count)
        {
            return Run(0, _modules.Count, input);
        }

        (Module?, string?) running = Running;
        Tensor<float> x = input;
        int last = (_modules.Count - 1) / every * every; // the last segment's start: it runs normally
        for (int start = 0; start < last; start += every)
        {
            int from = start;
            x = Autograd.Checkpoint(
                h =>
                {
                    using CallScope resumed = Resume(running); // the re-run, in the backward pass, names scopes as now
                    return Run(from, from + every, h);
                },
                x);
        }

        return Run(last, _modules.Count, x);
    }

    /// <summary>Modules [<paramref name="from"/>, <paramref name="to"/>) in order.</summary>
    private Tensor<float> Run(int from, int to, Tensor<float> input)
    {
        Tensor<float> x = input;
        for (int i = from; i < to; i++)
        {
            x = _modules[i].CallAsChild(x);
        }

        return x;
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder("Sequential(");
        for (int i = 0; i < _modules.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  ({i}): {_modules[i]}");
        }

        return text.Append(_modules.Count > 0 ? "\n)" : ")").ToString();
    }
}
