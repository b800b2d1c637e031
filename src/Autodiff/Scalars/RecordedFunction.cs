using System.Runtime.InteropServices;

namespace Autodiff;

/// <summary>
/// A scalar computation recorded once and replayed at new inputs (CppAD's <c>ADFun</c>): values, gradients,
/// vector–Jacobian products and Jacobians, without recording again and without allocating. Made by
/// <see cref="Tape.ToFunction"/>.
/// </summary>
/// <remarks>
/// A replay runs the recorded entries forward, each through the same rule the eager op uses (so a replay at the
/// recorded inputs gives the recorded values bit for bit), then sweeps them backward once per seed. The function
/// owns its working arrays: one instance must not be used by two threads at once (make one per thread).
/// </remarks>
public sealed class RecordedFunction
{
    private readonly byte[] _ops;
    private readonly Tape.Entry[] _entries; // inputs and, after a forward replay, the partials (an entry with one input keeps its constant)
    private readonly double[] _recorded;   // the values at recording: constants and non-input variables keep them
    private readonly int[] _inputs, _outputs;
    private readonly double[] _values, _adjoints;
    private readonly double[] _point;      // the inputs of the last forward replay, to skip repeating it
    private bool _replayed;

    internal RecordedFunction(byte[] ops, Tape.Entry[] entries, double[] recorded, int[] inputs, int[] outputs)
    {
        (_ops, _entries, _recorded, _inputs, _outputs) = (ops, entries, recorded, inputs, outputs);
        int n = ops.Length;
        (_values, _adjoints) = (new double[n], new double[n]);
        _point = new double[inputs.Length];

        // Replay once at the recorded point: refuses entries that cannot be replayed, and proves the rules agree.
        double[] at = [.. inputs.Select(slot => recorded[slot])];
        Forward(at);
        for (int i = 1; i < n; i++)
        {
            if (BitConverter.DoubleToInt64Bits(_values[i]) != BitConverter.DoubleToInt64Bits(recorded[i]))
            {
                throw new InvalidOperationException($"ToFunction: replaying entry #{i} ({Tape.Decode(ops[i]).Op}) gave {_values[i]:R}, but it was recorded as {recorded[i]:R}.");
            }
        }
    }

    /// <summary>The number of inputs.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>The number of outputs.</summary>
    public int OutputCount => _outputs.Length;

    /// <summary>The number of entries a replay runs.</summary>
    public int EntryCount => _ops.Length - 1;

    /// <summary>The outputs at <paramref name="x"/>, written into <paramref name="y"/>.</summary>
    /// <param name="x">The inputs, <see cref="InputCount"/> of them.</param>
    /// <param name="y">Where the outputs go, <see cref="OutputCount"/> of them.</param>
    public void Evaluate(ReadOnlySpan<double> x, Span<double> y)
    {
        CheckLength(y.Length, OutputCount, nameof(Evaluate), "outputs", nameof(y));
        Forward(x);
        for (int k = 0; k < _outputs.Length; k++)
        {
            y[k] = _values[_outputs[k]];
        }
    }

    /// <summary>Output <paramref name="output"/>'s value at <paramref name="x"/>, and its gradient, written into <paramref name="gradient"/>.</summary>
    /// <param name="x">The inputs.</param>
    /// <param name="gradient">Where ∂y/∂xᵢ goes, <see cref="InputCount"/> of them.</param>
    /// <param name="output">Which output to differentiate.</param>
    public double Gradient(ReadOnlySpan<double> x, Span<double> gradient, int output = 0)
    {
        if ((uint)output >= (uint)_outputs.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(output), output, $"Gradient: output {output} does not exist; the function has {_outputs.Length}.");
        }

        CheckLength(gradient.Length, InputCount, nameof(Gradient), "inputs", nameof(gradient));
        Forward(x);
        Array.Clear(_adjoints);
        _adjoints[_outputs[output]] = 1.0;
        Reverse(gradient);
        return _values[_outputs[output]];
    }

    /// <summary>seedsᵀ·J at <paramref name="x"/> (the gradient of Σ seedₖ·yₖ), written into <paramref name="gradient"/>.</summary>
    /// <param name="x">The inputs.</param>
    /// <param name="seeds">One weight per output.</param>
    /// <param name="gradient">Where the product goes, one element per input.</param>
    public void Vjp(ReadOnlySpan<double> x, ReadOnlySpan<double> seeds, Span<double> gradient)
    {
        CheckLength(seeds.Length, OutputCount, nameof(Vjp), "outputs", nameof(seeds));
        CheckLength(gradient.Length, InputCount, nameof(Vjp), "inputs", nameof(gradient));
        Forward(x);
        Array.Clear(_adjoints);
        for (int k = 0; k < _outputs.Length; k++)
        {
            _adjoints[_outputs[k]] += seeds[k];
        }

        Reverse(gradient);
    }

    /// <summary>The Jacobian ∂yₖ/∂xᵢ at <paramref name="x"/>, row-major (one row per output), by one backward sweep per output.</summary>
    /// <param name="x">The inputs.</param>
    /// <param name="jacobian">Where it goes: <see cref="OutputCount"/> × <see cref="InputCount"/> elements.</param>
    public void Jacobian(ReadOnlySpan<double> x, Span<double> jacobian)
    {
        CheckLength(jacobian.Length, OutputCount * InputCount, nameof(Jacobian), "outputs × inputs", nameof(jacobian));
        Forward(x);
        for (int k = 0; k < _outputs.Length; k++)
        {
            Array.Clear(_adjoints);
            _adjoints[_outputs[k]] = 1.0;
            Reverse(jacobian.Slice(k * InputCount, InputCount));
        }
    }

    /// <summary>Every entry's value and partials at <paramref name="x"/>, unless the last replay was at the same point.</summary>
    private void Forward(ReadOnlySpan<double> x)
    {
        CheckLength(x.Length, InputCount, "Evaluate", "inputs", nameof(x));
        if (_replayed && MemoryMarshal.Cast<double, long>(x).SequenceEqual(MemoryMarshal.Cast<double, long>(_point))) // bits: −0 is not 0 here
        {
            return;
        }

        double[] v = _values;
        _recorded.CopyTo(v, 0);
        for (int k = 0; k < _inputs.Length; k++)
        {
            v[_inputs[k]] = x[k];
        }

        byte[] ops = _ops;
        Tape.Entry[] entries = _entries;
        for (int i = 1; i < ops.Length; i++)
        {
            byte op = ops[i];
            if (Tape.IsLeafOp(op))
            {
                continue;
            }

            (ScalarOp kind, bool constantFirst) = Tape.Decode(op);
            Tape.Entry e = entries[i];
            bool binary = e.B != 0;
            v[i] = ScalarRules.Evaluate(kind, binary, constantFirst, v[e.A], binary ? v[e.B] : e.PartialB, out double da, out double db);
            entries[i] = new Tape.Entry(e.A, e.B, da, binary ? db : e.PartialB);
        }

        x.CopyTo(_point);
        _replayed = true;
    }

    /// <summary>The backward sweep from the seeded adjoints; the inputs' adjoints go to <paramref name="gradient"/>.</summary>
    private void Reverse(Span<double> gradient)
    {
        Tape.Sweep(_adjoints, _entries); // the tape's own sweep: the same order of additions, the same bits
        for (int k = 0; k < _inputs.Length; k++)
        {
            gradient[k] = _adjoints[_inputs[k]];
        }
    }

    private static void CheckLength(int actual, int expected, string op, string what, string parameter)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"RecordedFunction.{op}: {parameter} has {actual} elements; the function has {expected} {what}.", parameter);
        }
    }
}
