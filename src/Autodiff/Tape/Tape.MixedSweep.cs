using System.Numerics;

namespace Autodiff;

// Scalars and tensors on one tape. Scalar entries and tensor nodes are kept in two lists; each tensor node remembers
// how many scalar slots existed when it was recorded (its mark), which places it in the one recording order: scalar
// slot i came before tensor node j exactly when i < mark(j). A sweep over a tape that mixes the two walks both lists
// backwards in that order. Two kinds of link carry gradients across:
//   - a tensor turned into a Scalar (Tensor.ToScalar) is a scalar entry without scalar inputs plus a bridge: once the
//     sweep has passed the entry, its adjoint is handed to the tensor's node (or to the leaf);
//   - Scalars gathered into a tensor (Tensor.FromScalars) is a tensor node whose rule adds the gradient's elements
//     to the scalars' adjoints.
// Tapes that never mix keep their own sweeps, untouched.
public sealed partial class Tape
{
    private readonly List<int> _tensorMarks = [];
    private readonly List<(int Slot, ITensorBridge Bridge)> _bridges = [];
    private bool _mixed;

    /// <summary>Hands the adjoint of a scalar made from a tensor back to that tensor.</summary>
    internal interface ITensorBridge
    {
        void Push(double adjoint, IGradientSink sink);
    }

    /// <summary>Records a scalar whose value comes from a one-element tensor and whose adjoint goes back to it.</summary>
    internal Scalar RecordFromTensor<T>(Tensor<T> source, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ThrowIfDisposed(nameof(Tensor<T>.ToScalar));
        ValidateInput(source, nameof(Tensor<T>.ToScalar), file, line);
        Scalar x = Push(ScalarOp.Variable, double.CreateChecked(source.Item()), Sink, 0, Sink, 0, file, line);
        (_names ??= [])[x.Index] = source.Node is null ? "tensor" : $"{source.Node.Name}(…)";
        if (source.GradRequired)
        {
            _bridges.Add((x.Index, new TensorBridge<T>(source)));
            _mixed = true;
        }

        return x;
    }

    /// <summary>Adds ∂L/∂result to the adjoints of the scalars a tensor was gathered from (its node's rule).</summary>
    internal void AddScalarAdjoints<T>(ReadOnlySpan<int> slots, ReadOnlySpan<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < slots.Length; i++)
        {
            _adjoints[slots[i]] += double.CreateChecked(gradient[i]);
        }
    }

    /// <summary>Marks the tape as mixing scalars and tensors, so that sweeps walk both lists.</summary>
    internal void MarkMixed() => _mixed = true;

    private void ClearMixed()
    {
        _tensorMarks.Clear();
        _bridges.Clear();
        _mixed = false;
    }

    /// <summary>
    /// The sweep of a mixed tape: scalar slots from <paramref name="scalarStart"/> down and tensor nodes from
    /// <paramref name="tensorStart"/> down, interleaved in recording order; seeds must already be in place.
    /// </summary>
    private void SweepMixed(int scalarStart, int tensorStart, IGradientSink sink)
    {
        if (sink.CreateGraph)
        {
            ThrowMixedCreateGraph();
        }

        (int, int) mark = MarkBuffers();
        int s = scalarStart, j = tensorStart;
        try
        {
            using Autograd.PauseScope mode = Autograd.PauseRecording();
            using SweepScope sweeping = BeginSweep(sink is LeafGradSink);
            while (s > Sink || j >= 0)
            {
                while (j >= 0 && _tensorMarks[j] > s)
                {
                    _tensorNodes[j].Propagate(sink);
                    j--;
                }

                int low = j >= 0 ? Math.Max(_tensorMarks[j], Sink + 1) : Sink + 1;
                if (s >= low)
                {
                    SweepScalarRange(s, low);
                    PushBridges(s, low, sink);
                }

                s = low - 1;
            }
        }
        finally
        {
            for (int i = tensorStart; i >= 0; i--)
            {
                _tensorNodes[i].ClearGrad();
            }

            sink.Finish();
            RecycleSince(mark);
        }
    }

    private static void ThrowMixedCreateGraph() => throw new NotSupportedException(
        "Backward with createGraph: this tape mixes Scalars and tensors, and a recorded sweep does not cross the bridges between them. Take higher-order derivatives on a tape of Scalars only (Tape.RecordedGradient) or of tensors only (createGraph: true).");

    /// <summary>The scalar sweep over slots <paramref name="high"/> down to <paramref name="low"/> (the plain loop).</summary>
    private void SweepScalarRange(int high, int low)
    {
        Span<double> adj = _adjoints;
        ReadOnlySpan<Entry> entries = _entries;
        for (int i = high; i >= low; i--)
        {
            double g = adj[i];
            if (g == 0.0)
            {
                continue;
            }

            ref readonly Entry e = ref entries[i];
            adj[e.A] += e.PartialA * g;
            adj[e.B] += e.PartialB * g;
        }
    }

    /// <summary>Hands the adjoints of the tensor-made scalars in slots [low, high] to their tensors.</summary>
    private void PushBridges(int high, int low, IGradientSink sink)
    {
        for (int k = _bridges.Count - 1; k >= 0; k--)
        {
            (int slot, ITensorBridge bridge) = _bridges[k];
            if (slot >= low && slot <= high && _adjoints[slot] != 0.0)
            {
                bridge.Push(_adjoints[slot], sink);
            }
        }
    }

    /// <summary>The last tensor node recorded before scalar slot <paramref name="slot"/>, or −1.</summary>
    private int LastTensorBefore(int slot)
    {
        int j = _tensorNodes.Count - 1;
        while (j >= 0 && _tensorMarks[j] > slot)
        {
            j--;
        }

        return j;
    }

    /// <summary>A scalar-rooted sweep over a mixed tape (adjoint of <paramref name="output"/> already seeded).</summary>
    private void SweepMixedFromScalar(int output, IGradientSink sink) => SweepMixed(output, LastTensorBefore(output), sink);

    /// <summary>A tensor-rooted sweep over a mixed tape: the node at <paramref name="index"/> already holds its seed.</summary>
    private void SweepMixedFromTensor(int index, IGradientSink sink)
    {
        int scalars = _tensorMarks[index] - 1;
        PrepareAdjoints(Math.Max(scalars, Sink));
        SweepMixed(scalars, index, sink);
    }

    private sealed class TensorBridge<T>(Tensor<T> source) : ITensorBridge
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Push(double adjoint, IGradientSink sink)
        {
            Tensor<T> g = Tensor.Full(T.CreateChecked(adjoint), source.Shape);
            if (source.Node is TensorNode<T> producer)
            {
                producer.Accumulate(g, createGraph: false);
            }
            else if (sink.Wants(source))
            {
                sink.Accumulate(source, g, createGraph: false);
            }
        }
    }

    /// <summary>For sweeps that only want scalar gradients: tensor leaves are left alone.</summary>
    private sealed class NoLeavesSink : IGradientSink
    {
        public static readonly NoLeavesSink Instance = new();

        public bool CreateGraph => false;

        public bool Wants<TT>(Tensor<TT> leaf)
            where TT : unmanaged, IFloatingPointIeee754<TT>
            => false;

        public void Accumulate<TT>(Tensor<TT> leaf, Tensor<TT> grad, bool createGraph)
            where TT : unmanaged, IFloatingPointIeee754<TT>
        {
        }

        public void Visit<TT>(Tensor<TT> output, Tensor<TT> grad)
            where TT : unmanaged, IFloatingPointIeee754<TT>
        {
        }

        public void Finish()
        {
        }
    }
}
