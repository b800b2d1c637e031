using System.Numerics;

namespace Autodiff;

/// <summary>
/// What a checkpoint's first run read that requires grad: its own inputs, the leaves it captured (parameters), and —
/// an error — results of recorded ops that it captured instead of taking them as inputs.
/// </summary>
internal sealed class CheckpointProbe(object[] inputs)
{
    private readonly List<object> _leaves = [];
    private string? _capturedResult;

    /// <summary>Whether any op of the run read a tensor that requires grad.</summary>
    public bool SawTracked { get; private set; }

    public void Observe<T>(Tensor<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!x.GradRequired)
        {
            return;
        }

        SawTracked = true;
        if (Array.IndexOf(inputs, x) >= 0 || _leaves.Contains(x))
        {
            return;
        }

        if (x.Node is { } node)
        {
            _capturedResult ??= $"a tensor of shape {Shapes.Format(x.Shape)} made by '{node.Name}'{Shapes.Where(node.File, node.Line)}";
            return;
        }

        _leaves.Add(x);
    }

    /// <summary>The captured leaves of element type <typeparamref name="T"/>, in the order the run read them.</summary>
    public IEnumerable<Tensor<T>> CapturedLeaves<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
        => _leaves.OfType<Tensor<T>>();

    /// <summary>Refuses a run that read a recorded result through a closure: the re-run could not route its gradient.</summary>
    public void ThrowIfCapturedResult(string? file, int line)
    {
        if (_capturedResult is not null)
        {
            throw new InvalidOperationException(
                $"Checkpoint: the function reads {_capturedResult}, which is not among its inputs{Shapes.Where(file, line)}. " +
                "A checkpointed function may capture parameters (leaves), but a result of recorded operations must be passed in: " +
                "Checkpoint(xs => …, [x, that]).");
        }
    }
}
