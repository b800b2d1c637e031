
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
    private readonly Step[] _steps;        // the entries that compute something, in order, decoded once
    private readonly Tape.Entry[] _entries; // inputs and, after a forward replay, the partials (an entry with one input keeps its constant)
    private readonly int[] _inputs, _outputs;
    private readonly double[] _values, _adjoints;

    internal RecordedFunction(byte[] ops, Tape.Entry[] entries, double[] recorded, int[] inputs, int[] outputs)
    {
        (_ops, _entries, _inputs, _outputs) = (ops, entries, inputs, outputs);
        _steps = Compile(ops, entries);
        int n = ops.Length;
        (_values, _adjoints) = ((double[])recorded.Clone(), new double[n]);

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

    /// <summary>Every entry's value and partials at <paramref name="x"/>.</summary>
    private void Forward(ReadOnlySpan<double> x)
    {
        CheckLength(x.Length, InputCount, "Evaluate", "inputs", nameof(x));
        double[] v = _values; // leaves other than the inputs keep the recorded values copied in at construction
        for (int k = 0; k < _inputs.Length; k++)
        {
            v[_inputs[k]] = x[k];
        }

        Tape.Entry[] entries = _entries;
        foreach (ref readonly Step step in _steps.AsSpan())
        {
            // Arithmetic, which most AAD code is made of, inline; every other op through its rule's dispatch. Both call
            // the eager ops' rules, so the values and partials are the recorded ones at the recorded point.
            double a = v[step.A], b = step.Binary ? v[step.B] : step.Constant, da, db = 0.0;
            v[step.Slot] = step.Kind switch
            {
                StepKind.Add => ScalarRules.Add(a, b, out da, out db),
                StepKind.Subtract => ScalarRules.Subtract(a, b, out da, out db),
                StepKind.SubtractFrom => ScalarRules.Subtract(b, a, out _, out da),
                StepKind.Multiply => ScalarRules.Multiply(a, b, out da, out db),
                StepKind.Divide => ScalarRules.Divide(a, b, out da, out db),
                StepKind.DivideInto => ScalarRules.Divide(b, a, out _, out da),
                _ => ScalarRules.Evaluate(step.Op, step.Binary, step.ConstantFirst, a, b, out da, out db),
            };
            entries[step.Slot] = new Tape.Entry(step.A, step.B, da, step.Binary ? db : step.Constant);
        }
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

    /// <summary>The entries that are not leaves, each decoded into what its replay needs.</summary>
    private static Step[] Compile(byte[] ops, Tape.Entry[] entries)
    {
        var steps = new List<Step>();
        for (int i = 1; i < ops.Length; i++)
        {
            if (Tape.IsLeafOp(ops[i]))
            {
                continue;
            }

            (ScalarOp op, bool constantFirst) = Tape.Decode(ops[i]);
            Tape.Entry e = entries[i];
            bool binary = e.B != 0;
            StepKind kind = (op, binary, constantFirst) switch
            {
                (ScalarOp.Add, _, false) => StepKind.Add,
                (ScalarOp.Subtract, _, false) => StepKind.Subtract,
                (ScalarOp.Subtract, false, true) => StepKind.SubtractFrom,
                (ScalarOp.Multiply, _, false) => StepKind.Multiply,
                (ScalarOp.Divide, _, false) => StepKind.Divide,
                (ScalarOp.Divide, false, true) => StepKind.DivideInto,
                _ => StepKind.Rule,
            };
            steps.Add(new Step(i, e.A, e.B, binary ? 0.0 : e.PartialB, kind, op, binary, constantFirst));
        }

        return [.. steps];
    }

    private enum StepKind : byte
    {
        Rule,
        Add,
        Subtract,
        SubtractFrom,
        Multiply,
        Divide,
        DivideInto,
    }

    /// <summary>One entry to replay: its slot, its inputs' slots (or its constant), and how to compute it.</summary>
    private readonly record struct Step(int Slot, int A, int B, double Constant, StepKind Kind, ScalarOp Op, bool Binary, bool ConstantFirst);

    private static void CheckLength(int actual, int expected, string op, string what, string parameter)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"RecordedFunction.{op}: {parameter} has {actual} elements; the function has {expected} {what}.", parameter);
        }
    }
}
