using System.Numerics;

namespace Autodiff;

// The tensor sweep: from an output's node down to the first node, each node's rule runs once its output's adjoint
// is complete (all its consumers came later on the tape), and hands the inputs their contributions. Where those go is
// the sink's business: into .Grad (Backward), or to the caller only (Gradient).
public sealed partial class Tape
{
    /// <summary>
    /// Runs the backward sweep from <paramref name="output"/> seeded with <paramref name="seed"/>, handing
    /// gradients that reach leaves to <paramref name="sink"/>.
    /// </summary>
    internal void SweepTensors<T>(Tensor<T> output, Tensor<T> seed, IGradientSink sink)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowIfDisposed("Backward");
        using ClaimScope claim = Claim("Backward");
        if (output.Node is not TensorNode<T> start)
        {
            if (output.GradRequired && sink.Wants(output))
            {
                sink.Accumulate(output, seed, sink.CreateGraph);
            }

            return;
        }

        if (!ReferenceEquals(output.NodeTape, this) || output.NodeGeneration != _generation)
        {
            // The node list no longer holds (or never held) this output's node: sweeping would read another step's graph.
            throw new InvalidOperationException(
                $"Backward: the tensor (shape {Shapes.Format(output.Shape)}, made by '{start.Name}'{Shapes.Where(start.File, start.Line)}) was recorded " +
                "on this tape before its last Reset(), or on another tape; its graph is gone. Call Backward() before resetting the tape, " +
                "or recompute the value on the current tape.");
        }

        if (_mixed && sink.CreateGraph)
        {
            ThrowMixedCreateGraph(); // before any node holds a seed that a later sweep would add to
        }

        int last = _tensorNodes.LastIndexOf(start);
        start.Accumulate(seed, sink.CreateGraph);
        if (_mixed)
        {
            SweepMixedFromTensor(last, sink);
            return;
        }

        (int, int) mark = MarkBuffers();
        try
        {
            // Without createGraph the rules run eagerly; with it they record, so the gradient is differentiable.
            using Autograd.PauseScope mode = sink.CreateGraph ? default : Autograd.PauseRecording();
            using SweepScope sweeping = BeginSweep(sink is LeafGradSink && !sink.CreateGraph); // temporaries are lent by this tape
            for (int i = last; i >= 0; i--)
            {
                _tensorNodes[i].Propagate(sink);
            }
        }
        finally
        {
            for (int i = last; i >= 0; i--)
            {
                _tensorNodes[i].ClearGrad();
            }

            if (!sink.CreateGraph)
            {
                // An eager sweep's temporaries are garbage now: back to the tape at once, not at the next reset.
                sink.Finish();
                RecycleSince(mark);
            }
        }
    }

    /// <summary>
    /// Sweeps the nodes from <paramref name="from"/> on, starting at <paramref name="output"/>'s: the stretch a
    /// checkpoint's re-run recorded, inside the sweep of the whole tape. Gradients leaving the stretch go to the
    /// producers of its inputs (with createGraph) or to <paramref name="sink"/>; the caller takes back the temporaries.
    /// </summary>
    internal void SweepRange<T>(int from, Tensor<T> output, Tensor<T> seed, IGradientSink sink)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int last = output.Node is TensorNode<T> start && ReferenceEquals(output.NodeTape, this) ? _tensorNodes.LastIndexOf(start) : -1;
        if (last < from)
        {
            // The function returned an input, or something computed before the stretch: the seed is its gradient.
            if (output.Node is TensorNode<T> earlier && sink.CreateGraph)
            {
                earlier.Accumulate(seed, createGraph: true);
            }
            else if (output.GradRequired && sink.Wants(output))
            {
                sink.Accumulate(output, seed, sink.CreateGraph);
            }

            return;
        }

        ((TensorNode<T>)_tensorNodes[last]).Accumulate(seed, sink.CreateGraph);
        try
        {
            using Autograd.PauseScope mode = sink.CreateGraph ? default : Autograd.PauseRecording();
            // Rules may write the captured parameters' gradients straight into their .Grad, as in the enclosing sweep; the
            // stretch's own leaves (detached inputs) have no .Grad buffer, so theirs still reach the sink.
            using SweepScope sweeping = BeginSweep(s_sweepWritesLeafGrads);
            for (int i = last; i >= from; i--)
            {
                _tensorNodes[i].Propagate(sink);
            }
        }
        finally
        {
            for (int i = last; i >= from; i--)
            {
                _tensorNodes[i].ClearGrad();
            }
        }
    }

    /// <summary>
    /// ∂y/∂xᵢ for each tensor, without touching their <see cref="Tensor{T}.Grad"/>: a gradient of
    /// <paramref name="y"/> (a one-element tensor unless <paramref name="seed"/> is given, in which case the
    /// result is the vector–Jacobian product seedᵀ·J).
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="y">The output.</param>
    /// <param name="xs">Leaves or intermediate tensors; a tensor that y does not depend on gets zeros.</param>
    /// <param name="seed">∂L/∂y; defaults to 1 for a one-element y.</param>
    /// <param name="createGraph">Record the sweep on this tape so that the gradients can be differentiated again.</param>
    public Tensor<T>[] Gradient<T>(Tensor<T> y, IReadOnlyList<Tensor<T>> xs, Tensor<T>? seed = null, bool createGraph = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(xs);
        for (int i = 0; i < xs.Count; i++)
        {
            if (!xs[i].GradRequired)
            {
                throw new ArgumentException($"Gradient: xs[{i}] (shape {Shapes.Format(xs[i].Shape)}) does not require grad; call RequiresGrad() on it before the forward pass.", nameof(xs));
            }
        }

        var sink = new CollectingSink<T>(xs, createGraph);
        SweepTensors(y, Tensor.SeedFor(y, seed, nameof(Gradient)), sink);
        return sink.Results();
    }

    /// <summary>Accumulates into each tracked leaf's <see cref="Tensor{T}.Grad"/> (what <c>loss.Backward()</c> does).</summary>
    internal sealed class LeafGradSink : IGradientSink
    {
        private static readonly LeafGradSink s_plain = new(createGraph: false), s_graph = new(createGraph: true);
        private readonly bool _createGraph;

        private LeafGradSink(bool createGraph) => _createGraph = createGraph;

        public bool CreateGraph => _createGraph;

        /// <summary>The sink for a sweep with or without createGraph; it holds nothing else, so two instances serve all.</summary>
        public static LeafGradSink For(bool createGraph) => createGraph ? s_graph : s_plain;

        public bool Wants<TT>(Tensor<TT> leaf)
            where TT : unmanaged, IFloatingPointIeee754<TT>
            => leaf.IsLeaf;

        public void Accumulate<TT>(Tensor<TT> leaf, Tensor<TT> grad, bool graph)
            where TT : unmanaged, IFloatingPointIeee754<TT>
        {
            if (graph)
            {
                leaf.Grad = leaf.Grad is null ? grad : Tensor.AddForSweep(leaf.Grad, grad, graph);
            }
            else if (leaf.TakeGradDestination(out bool overwrite) is { } destination)
            {
                if (overwrite)
                {
                    grad.Data.CopyTo(destination, 0);
                }
                else
                {
                    Kernels.Elementwise.AddInPlace(destination, grad.Data);
                }
            }
            else
            {
                // A .Grad of its own (Clone copies into a new array): the sweep's arrays go back to the tape after it.
                leaf.Grad = (leaf.Grad is null ? grad : Tensor.AddForSweep(leaf.Grad, grad, graph)).Clone();
            }
        }

        public void Visit<TT>(Tensor<TT> output, Tensor<TT> grad)
            where TT : unmanaged, IFloatingPointIeee754<TT>
        {
        }

        public void Finish()
        {
        }
    }

    /// <summary>Collects the gradients of the requested tensors only, leaving every .Grad alone.</summary>
    private sealed class CollectingSink<T>(IReadOnlyList<Tensor<T>> xs, bool createGraph) : IGradientSink
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Tensor<T>?[] _results = new Tensor<T>?[xs.Count];

        public bool CreateGraph => createGraph;

        public bool Wants<TT>(Tensor<TT> leaf)
            where TT : unmanaged, IFloatingPointIeee754<TT>
            => IndexOf(leaf) >= 0;

        public void Accumulate<TT>(Tensor<TT> leaf, Tensor<TT> grad, bool graph)
            where TT : unmanaged, IFloatingPointIeee754<TT>
        {
            for (int i = 0; i < xs.Count; i++)
            {
                if (ReferenceEquals(xs[i], leaf))
                {
                    var g = (Tensor<T>)(object)grad;
                    _results[i] = _results[i] is { } r ? Tensor.AddForSweep(r, g, graph) : g;
                }
            }
        }

        public void Visit<TT>(Tensor<TT> output, Tensor<TT> grad)
            where TT : unmanaged, IFloatingPointIeee754<TT>
        {
            // An intermediate's gradient is complete when the sweep reaches its node: all consumers came later.
            for (int i = 0; i < xs.Count; i++)
            {
                if (ReferenceEquals(xs[i], output))
                {
                    _results[i] = createGraph ? (Tensor<T>)(object)grad : ((Tensor<T>)(object)grad).Clone();
                }
            }
        }

        public void Finish()
        {
            foreach (Tensor<T>? result in _results)
            {
                result?.KeepLentArray();
            }
        }

        public Tensor<T>[] Results()
        {
            var results = new Tensor<T>[xs.Count];
            for (int i = 0; i < xs.Count; i++)
            {
                results[i] = _results[i] ?? Tensor.Zeros<T>(xs[i].Shape);
            }

            return results;
        }

        private int IndexOf<TT>(Tensor<TT> x)
            where TT : unmanaged, IFloatingPointIeee754<TT>
        {
            for (int i = 0; i < xs.Count; i++)
            {
                if (ReferenceEquals(xs[i], x))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
