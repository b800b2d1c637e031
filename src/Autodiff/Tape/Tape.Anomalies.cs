using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Anomaly mode (PyTorch's detect_anomaly): every value recorded and every gradient computed is checked for NaN and
// infinity, and the first one found throws an AnomalyException naming the operation, its inputs and its source line.
// Switched off, it costs one test of a field per scalar entry and per tensor node.
public sealed partial class Tape
{
    private bool _detectAnomalies;

    /// <summary>
    /// Whether a NaN or an infinity throws <see cref="AnomalyException"/> the moment it appears: in the value of a
    /// scalar entry or the result of a tensor operation recorded on this tape (the forward pass), or in a gradient
    /// computed by a backward rule during a sweep of it. Off by default; the checks cost a pass over every result.
    /// </summary>
    public bool DetectAnomalies
    {
        get => _detectAnomalies;
        set
        {
            _detectAnomalies = value;
            _limit = value ? 0 : _entries.Length; // Push's one test then sends every entry to the slow path, which checks it
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowScalarForwardAnomaly(ScalarOp op, double value, int a, int b, string? file, int line)
    {
        string inputs = (a, b) switch
        {
            (Sink, Sink) => "",
            (_, Sink) => FormatInput(a),
            _ => $"{FormatInput(a)}, {FormatInput(b)}",
        };
        throw new AnomalyException(AnomalyPhase.Forward, op.ToString(), inputs, file, line, $"{Describe(value)} (entry #{_count})");
    }

    private string FormatInput(int slot) => string.Create(CultureInfo.InvariantCulture, $"#{slot} = {_values[slot]}");

    private static string Describe(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "+∞" : "−∞";

    /// <summary>
    /// After a scalar sweep from <paramref name="last"/> in anomaly mode: finds the first entry, in sweep order, whose
    /// rule turned a finite adjoint into a non-finite contribution (or whose adjoint summed to one) and throws.
    /// </summary>
    private void CheckScalarBackward(int last)
    {
        if (!_detectAnomalies)
        {
            return;
        }

        ReadOnlySpan<double> adj = _adjoints.AsSpan(0, last + 1);
        for (int j = last; j > Sink; j--)
        {
            double g = adj[j];
            if (!double.IsFinite(g))
            {
                ThrowScalarBackwardAnomaly(j, $"a {Describe(g)} gradient (the sum of its consumers' contributions, or the seed)");
            }

            if (g == 0.0)
            {
                continue; // the sweep skips such entries too
            }

            Entry e = _entries[j];
            // An entry with one input keeps its op's constant beside the sink (see Tape.Entry): not a partial.
            double ga = e.PartialA * g, gb = e.B == Sink ? 0.0 : e.PartialB * g;
            if (!double.IsFinite(ga) || !double.IsFinite(gb))
            {
                string which = !double.IsFinite(ga)
                    ? string.Create(CultureInfo.InvariantCulture, $"∂/∂#{e.A} = {e.PartialA} × {g} = {Describe(ga)}")
                    : string.Create(CultureInfo.InvariantCulture, $"∂/∂#{e.B} = {e.PartialB} × {g} = {Describe(gb)}");
                ThrowScalarBackwardAnomaly(j, $"a non-finite gradient for an input: {which}");
            }
        }
    }

    [DoesNotReturn]
    private void ThrowScalarBackwardAnomaly(int j, string detail)
    {
        Entry e = _entries[j];
        string inputs = (e.A, e.B) switch
        {
            (Sink, Sink) => "",
            (_, Sink) => FormatInput(e.A),
            _ => $"{FormatInput(e.A)}, {FormatInput(e.B)}",
        };
        bool located = (_ops[j] & HasLocation) != 0;
        throw new AnomalyException(
            AnomalyPhase.Backward, OpAt(j).ToString(), inputs, located ? _locations[j].File : null, located ? _locations[j].Line : 0, $"{detail} (entry #{j})");
    }

    /// <summary>In anomaly mode, throws if the result of tensor operation <paramref name="op"/> holds a NaN or an infinity.</summary>
    internal void CheckTensorForward<T>(string op, Tensor<T> output, string? file, int line, ReadOnlySpan<Tensor<T>> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IndexOfNonFinite(output.Span) is int k and >= 0)
        {
            throw new AnomalyException(AnomalyPhase.Forward, op, FormatShapes(inputs), file, line,
                $"{DescribeElement(output.Span[k])} at element {k} of its result of shape {Shapes.Format(output.Shape)}", ScopeText(Provenance.ForError()), tensorOp: true);
        }
    }

    /// <summary>In anomaly mode, throws if a gradient that <paramref name="node"/>'s rule returned holds a NaN or an infinity.</summary>
    internal static void CheckTensorBackward<T>(TensorNode<T> node, Tensor<T>?[] grads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is { } g && IndexOfNonFinite(g.Span) is int k and >= 0)
            {
                throw new AnomalyException(AnomalyPhase.Backward, node.Name, FormatShapes(node.Inputs), node.File, node.Line,
                    $"{DescribeElement(g.Span[k])} at element {k} of the gradient for input {i} (shape {Shapes.Format(g.Shape)})", ScopeText(node.Provenance), tensorOp: true);
            }
        }
    }

    private static string? ScopeText(Provenance p) => p.Scope is null ? null : p.ToString();

    private static int IndexOfNonFinite<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (TensorPrimitives.IsFiniteAll(values))
        {
            return -1; // the common case: one vectorised pass
        }

        for (int k = 0; k < values.Length; k++)
        {
            if (!T.IsFinite(values[k]))
            {
                return k;
            }
        }

        return -1;
    }

    private static string DescribeElement<T>(T value)
        where T : unmanaged, IFloatingPointIeee754<T>
        => T.IsNaN(value) ? "NaN" : T.IsPositive(value) ? "+∞" : "−∞";

    private static string FormatShapes<T>(ReadOnlySpan<Tensor<T>> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var parts = new string[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            parts[i] = Shapes.Format(inputs[i].Shape);
        }

        return string.Join(", ", parts);
    }
}
