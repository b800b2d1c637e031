using System.Numerics;

namespace Autodiff;

/// <summary>
/// The sink of a checkpoint's re-run sweep: collects the gradients of the detached inputs, and passes those of the
/// captured parameters on to the enclosing sweep's sink — as copies, unless that sink copies them itself, because the
/// re-run's temporaries go back to the tape as soon as the stretch has been swept.
/// </summary>
internal sealed class CheckpointSink<T>(Tensor<T>[] leaves, IGradientSink outer) : IGradientSink
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tensor<T>?[] _grads = new Tensor<T>?[leaves.Length];

    public bool CreateGraph => false;

    public bool Wants<TT>(Tensor<TT> leaf)
        where TT : unmanaged, IFloatingPointIeee754<TT>
        => IndexOf(leaf) >= 0 || outer.Wants(leaf);

    public void Accumulate<TT>(Tensor<TT> leaf, Tensor<TT> grad, bool createGraph)
        where TT : unmanaged, IFloatingPointIeee754<TT>
    {
        int i = IndexOf(leaf);
        if (i >= 0)
        {
            var g = (Tensor<T>)(object)grad;
            _grads[i] = _grads[i] is { } sum ? Tensor.AddForSweep(sum, g, createGraph: false) : g;
        }
        else
        {
            outer.Accumulate(leaf, outer is Tape.LeafGradSink ? grad : new Tensor<TT>(grad.ToArray(), grad.ShapeArray()), createGraph);
        }
    }

    public void Visit<TT>(Tensor<TT> output, Tensor<TT> grad)
        where TT : unmanaged, IFloatingPointIeee754<TT>
        => outer.Visit(output, grad);

    public void Finish()
    {
    }

    /// <summary>The gradient of leaf <paramref name="i"/> in an array of its own; null if none reached it.</summary>
    public Tensor<T>? Owned(int i)
        => _grads[i] is { } g ? new Tensor<T>(g.ToArray(), g.ShapeArray()) : null;

    private int IndexOf<TT>(Tensor<TT> x)
        where TT : unmanaged, IFloatingPointIeee754<TT>
    {
        for (int i = 0; i < leaves.Length; i++)
        {
            if (ReferenceEquals(leaves[i], x))
            {
                return i;
            }
        }

        return -1;
    }
}
