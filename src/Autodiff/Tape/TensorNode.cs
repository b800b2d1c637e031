using System.Numerics;

namespace Autodiff;

/// <summary>
/// A backward rule: given ∂L/∂output, the contribution to ∂L/∂input for each input (null where an input needs
/// none). It may return a gradient of the broadcast shape; the sweep sums it back to the input's shape.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <param name="grad">∂L/∂output, the shape of the output.</param>
public delegate Tensor<T>?[] BackwardRule<T>(Tensor<T> grad)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>What the tape needs of a tensor node without knowing its element type.</summary>
internal interface ITensorNode
{
    string Name { get; }

    string Describe();

    /// <summary>The nodes that made this node's inputs (leaves have none).</summary>
    IEnumerable<ITensorNode> Producers { get; }

    /// <summary>Applies the rule to the accumulated output gradient and hands the results to the inputs.</summary>
    void Propagate(IGradientSink sink);

    /// <summary>Drops the accumulated gradient after the sweep has used it.</summary>
    void ClearGrad();
}

/// <summary>Where gradients reaching leaves (and requested intermediates) go during a sweep.</summary>
internal interface IGradientSink
{
    /// <summary>Whether the sweep wants this tensor's gradient; leaves that are not wanted are skipped.</summary>
    bool Wants<T>(Tensor<T> leaf)
        where T : unmanaged, IFloatingPointIeee754<T>;

    void Accumulate<T>(Tensor<T> leaf, Tensor<T> grad, bool createGraph)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Called with a node's complete output gradient just before its rule runs.</summary>
    void Visit<T>(Tensor<T> output, Tensor<T> grad)
        where T : unmanaged, IFloatingPointIeee754<T>;

    bool CreateGraph { get; }

    /// <summary>
    /// Called at the end of an eager sweep, before its temporaries go back to the tape: whatever the sink hands out
    /// afterwards must own its memory.
    /// </summary>
    void Finish();
}

/// <summary>One recorded tensor operation: its inputs, its rule, where it was called, and its output's adjoint.</summary>
internal sealed class TensorNode<T>(string name, Tensor<T>[] inputs, Tensor<T> output, BackwardRule<T> rule, string? file, int line) : ITensorNode
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private Tensor<T>? _grad;
    private bool _gradOwned;

    // The versions of the inputs and the result when the op was recorded, summed: counters only grow, so a changed
    // sum means one of them was handed out for writing since (see Tensor.Version). One number, no allocation.
    private readonly long _versions = SumVersions(inputs, output);

    /// <summary>
    /// For an op whose input has another element type (a cast): hands the output's gradient to that input, which the
    /// typed <see cref="Inputs"/> cannot hold. Null for every other op.
    /// </summary>
    public Action<Tensor<T>, IGradientSink>? ForeignInput { get; init; }

    /// <summary>
    /// For an op whose rule needs the sweep's sink (a checkpoint, whose re-run hands the gradients of the parameters it
    /// captured straight to it): used instead of the rule. Null for every other op.
    /// </summary>
    public Func<Tensor<T>, IGradientSink, Tensor<T>?[]>? SinkRule { get; init; }

    /// <summary>The layer (or other named scope) the op was recorded in, and the call site that opened it.</summary>
    public Provenance Provenance { get; } = Provenance.Current;

    public string Name => name;

    public Tensor<T>[] Inputs => inputs;

    public string? File => file;

    public int Line => line;

    /// <summary>The result; kept so that a sweep can hand out the gradient of an intermediate tensor.</summary>
    public Tensor<T> Output => output;

    public IEnumerable<ITensorNode> Producers => inputs.Where(x => x.Node is not null).Select(x => (ITensorNode)x.Node!);

    public string Describe()
    {
        string ins = string.Join(", ", inputs.Select(x => Shapes.Format(x.Shape)));
        return $"{name,-12} ({ins}) -> {Shapes.Format(output.Shape)} {Tensor<T>.DType}{Shapes.Where(file, line)}{Provenance}";
    }

    /// <summary>Adds a contribution to ∂L/∂output. The first one is kept by reference; later ones add into an owned copy.</summary>
    public void Accumulate(Tensor<T> grad, bool createGraph)
    {
        if (_grad is null)
        {
            _grad = grad;
            _gradOwned = false;
        }
        else if (createGraph || !_gradOwned)
        {
            _grad = Tensor.AddForSweep(_grad, grad, createGraph);
            _gradOwned = !createGraph;
        }
        else
        {
            Kernels.Elementwise.AddInPlace(_grad.Data, grad.Data);
        }
    }

    public void Propagate(IGradientSink sink)
    {
        if (_grad is null)
        {
            return; // not on a path to the output
        }

        if (SumVersions(inputs, output) != _versions)
        {
            ThrowModifiedInPlace();
        }

        sink.Visit(output, _grad);
        ForeignInput?.Invoke(_grad, sink);
        Tensor<T>?[] grads = SinkRule is { } sinkRule ? sinkRule(_grad, sink) : rule(_grad);
        if (output.NodeTape is { DetectAnomalies: true })
        {
            Tape.CheckTensorBackward(this, grads);
        }

        for (int i = 0; i < inputs.Length && i < grads.Length; i++)
        {
            Tensor<T>? g = grads[i];
            Tensor<T> x = inputs[i];
            if (g is null || !x.GradRequired)
            {
                continue;
            }

            if (!g.Shape.SequenceEqual(x.Shape))
            {
                // Broadcasting in the forward pass repeats x; its gradient is the sum over the repeats.
                g = Tensor.SumToShape(g, x.Shape, name, file, line);
            }

            if (x.Node is TensorNode<T> producer)
            {
                producer.Accumulate(g, sink.CreateGraph);
            }
            else if (sink.Wants(x))
            {
                sink.Accumulate(x, g, sink.CreateGraph);
            }
        }
    }

    private static long SumVersions(Tensor<T>[] inputs, Tensor<T> output)
    {
        long sum = output.Version;
        foreach (Tensor<T> x in inputs)
        {
            sum += x.Version;
        }

        return sum;
    }

    private void ThrowModifiedInPlace() => throw new InvalidOperationException(
        $"Backward: '{name}'{Shapes.Where(file, line)}{Provenance} (inputs {string.Join(", ", inputs.Select(x => Shapes.Format(x.Shape)))}) needs the values it " +
        "was recorded with, but one of its inputs or its result has been changed in place (MutableSpan()) since. Change tensors only " +
        "between a backward pass and the next forward pass (as optimisers do), or Clone() the tensor before writing into it.");

    public void ClearGrad()
    {
        _grad = null;
        _gradOwned = false;
    }
}
