using System.Numerics;

namespace Autodiff;

// How a tensor op gets onto the tape: the op computes its result, then hands it with its rule to Autograd.Record,
// which appends a TensorNode when a tape is current, gradients are enabled and some input requires grad.
public sealed partial class Tape
{
    private readonly List<ITensorNode> _tensorNodes = [];

    /// <summary>Number of tensor operations recorded since the tape was created or last reset.</summary>
    public int TensorCount => _tensorNodes.Count;

    internal int Generation => _generation;

    /// <summary>Appends a tensor node; the output becomes tracked and remembers its node.</summary>
    internal void Record<T>(TensorNode<T> node)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowIfDisposed(node.Name);
        if (Autograd.IsProbing)
        {
            throw new InvalidOperationException($"{node.Name}: cannot be used inside Autograd.Checkpoint{Shapes.Where(node.File, node.Line)}; call it outside the checkpointed function.");
        }

        using (Claim(node.Name))
        {
            _tensorNodes.Add(node);
            _tensorMarks.Add(_count);
        }

        node.Output.Node = node;
        node.Output.NodeTape = this;
        node.Output.NodeGeneration = _generation;
    }

    /// <summary>
    /// Forgets the tensor nodes from <paramref name="from"/> on: a checkpoint's re-run, once its stretch has been swept.
    /// </summary>
    internal void TruncateTensorNodes(int from)
    {
        _tensorNodes.RemoveRange(from, _tensorNodes.Count - from);
        _tensorMarks.RemoveRange(from, _tensorMarks.Count - from);
    }

    /// <summary>Throws unless a tracked input was recorded on this tape since its last reset.</summary>
    internal void ValidateInput<T>(Tensor<T> x, string op, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Node is not null && (!ReferenceEquals(x.NodeTape, this) || x.NodeGeneration != _generation))
        {
            Shapes.Throw(op, $"an input of shape {Shapes.Format(x.Shape)} was made by '{x.Node.Name}' on another tape or before this tape was reset; " +
                "Detach() it, or recompute it on the current tape.", file, line);
        }
    }
}

public static partial class Autograd
{
    /// <summary>
    /// Records <paramref name="output"/> as the result of <paramref name="op"/> when a tape is current, gradients
    /// are enabled and some input requires grad; otherwise returns it untouched.
    /// </summary>
    internal static Tensor<T> Record<T>(string op, Tensor<T> output, BackwardRule<T> rule, string? file, int line, params ReadOnlySpan<Tensor<T>> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TraceOp(op, output, file, line, inputs);
        if (Probed(inputs))
        {
            return output; // a checkpoint's first run: nothing is kept (its arrays were not lent either)
        }

        if (s_paused || s_noGrad.Value || Tape.Current is not { } tape)
        {
            return output;
        }

        if (tape.DetectAnomalies)
        {
            tape.CheckTensorForward(op, output, file, line, inputs);
        }

        bool tracked = false;
        foreach (Tensor<T> x in inputs)
        {
            if (x.GradRequired)
            {
                tape.ValidateInput(x, op, file, line);
                tracked = true;
            }
        }

        if (tracked)
        {
            tape.Record(new TensorNode<T>(op, inputs.ToArray(), output, rule, file, line));
        }
        else
        {
            // Nothing to differentiate: the result belongs to the caller, not to the tape's step, so the next reset
            // must not recycle it (and a tape that is never reset must not hold on to it).
            output.KeepLentArray();
        }

        return output;
    }
}
