namespace Autodiff;

// The scalar sweep: one tight loop over the entries' arrays from the output down, adj[a] += ∂y/∂a · adj[y] for each
// entry's (at most two) inputs, the partials recorded beside each value in the forward pass. Used by Gradient and
// Backward of a Scalar; a tape that also holds tensors goes through the mixed sweep instead.
public sealed partial class Tape
{
    /// <summary>∂y/∂x: the derivative of <paramref name="y"/> with respect to <paramref name="x"/>.</summary>
    /// <remarks>
    /// Runs one reverse sweep over the entries up to <paramref name="y"/>. Nothing accumulates between calls:
    /// asking twice gives the same answer. A variable that <paramref name="y"/> does not depend on gets 0.
    /// Allocates nothing once the tape's adjoint buffer has grown to the tape's size.
    /// </remarks>
    /// <param name="y">The output.</param>
    /// <param name="x">The variable.</param>
    public double Gradient(Scalar y, Scalar x)
    {
        Validate(y, nameof(Gradient));
        Validate(x, nameof(Gradient));
        Sweep(y.Index, 1.0, leafGrads: false);
        return x.Index <= y.Index ? _adjoints[x.Index] : 0.0;
    }

    /// <summary>∂y/∂xᵢ for each variable, written to <paramref name="destination"/>; allocates nothing when warm.</summary>
    /// <param name="y">The output.</param>
    /// <param name="xs">The variables.</param>
    /// <param name="destination">Receives one derivative per variable; must be as long as <paramref name="xs"/>.</param>
    public void Gradient(Scalar y, ReadOnlySpan<Scalar> xs, Span<double> destination)
    {
        if (destination.Length != xs.Length)
        {
            throw new ArgumentException($"Gradient: destination has length {destination.Length} but there are {xs.Length} variables.", nameof(destination));
        }

        Validate(y, nameof(Gradient));
        foreach (Scalar x in xs)
        {
            Validate(x, nameof(Gradient));
        }

        Sweep(y.Index, 1.0, leafGrads: false);
        for (int i = 0; i < xs.Length; i++)
        {
            destination[i] = xs[i].Index <= y.Index ? _adjoints[xs[i].Index] : 0.0;
        }
    }

    /// <summary>∂y/∂xᵢ for each variable, as a new array.</summary>
    /// <param name="y">The output.</param>
    /// <param name="xs">The variables.</param>
    public double[] Gradient(Scalar y, params ReadOnlySpan<Scalar> xs)
    {
        var result = new double[xs.Length];
        Gradient(y, xs, result);
        return result;
    }

    /// <summary>
    /// The derivatives of <paramref name="y"/> with respect to everything recorded before it, in an object
    /// indexed by variable: <c>var g = tape.Backward(y); double dx = g[x];</c>.
    /// </summary>
    /// <param name="y">The output.</param>
    public Gradients Backward(Scalar y)
    {
        Validate(y, nameof(Backward));
        Sweep(y.Index, 1.0, leafGrads: true);
        return new Gradients(this, _generation, _adjoints.AsSpan(0, y.Index + 1).ToArray());
    }

    /// <summary>
    /// A vector–Jacobian product: the derivatives of Σⱼ seedⱼ·outputⱼ with respect to everything recorded,
    /// that is vᵀJ for the Jacobian J of the outputs, in one sweep.
    /// </summary>
    /// <param name="outputs">The outputs yⱼ.</param>
    /// <param name="seeds">The weights vⱼ, one per output.</param>
    public Gradients Backward(ReadOnlySpan<Scalar> outputs, ReadOnlySpan<double> seeds)
    {
        int last = SweepSeeded(outputs, seeds, nameof(Backward), leafGrads: true);
        return new Gradients(this, _generation, _adjoints.AsSpan(0, last + 1).ToArray());
    }

    /// <summary>
    /// A vector–Jacobian product into the caller's memory: ∂(Σⱼ seedⱼ·outputⱼ)/∂xᵢ for each variable, written to
    /// <paramref name="destination"/> — one sweep, no tensor's <c>.Grad</c> touched (as <c>Gradient</c>), nothing
    /// copied or allocated once the tape is warm (the
    /// <see cref="Backward(ReadOnlySpan{Scalar}, ReadOnlySpan{double})"/> form copies every adjoint into a new object).
    /// </summary>
    /// <param name="outputs">The outputs yⱼ.</param>
    /// <param name="seeds">The weights vⱼ, one per output.</param>
    /// <param name="variables">The variables xᵢ.</param>
    /// <param name="destination">Receives one derivative per variable; as long as <paramref name="variables"/>.</param>
    public void Vjp(ReadOnlySpan<Scalar> outputs, ReadOnlySpan<double> seeds, ReadOnlySpan<Scalar> variables, Span<double> destination)
    {
        if (destination.Length != variables.Length)
        {
            throw new ArgumentException($"Vjp: destination has length {destination.Length} but there are {variables.Length} variables.", nameof(destination));
        }

        foreach (Scalar x in variables)
        {
            Validate(x, nameof(Vjp));
        }

        int last = SweepSeeded(outputs, seeds, nameof(Vjp), leafGrads: false);
        for (int i = 0; i < variables.Length; i++)
        {
            destination[i] = variables[i].Index <= last ? _adjoints[variables[i].Index] : 0.0;
        }
    }

    /// <summary>
    /// The Jacobian ∂yⱼ/∂xᵢ of several outputs by one reverse sweep per output, into the caller's row-major
    /// [outputs × variables] memory; nothing is allocated once the tape is warm.
    /// </summary>
    /// <param name="outputs">The outputs yⱼ (rows).</param>
    /// <param name="variables">The variables xᵢ (columns).</param>
    /// <param name="destination">Receives outputs.Length × variables.Length derivatives, row j for output j.</param>
    public void Jacobian(ReadOnlySpan<Scalar> outputs, ReadOnlySpan<Scalar> variables, Span<double> destination)
    {
        if (destination.Length != outputs.Length * variables.Length)
        {
            throw new ArgumentException(
                $"Jacobian: destination has length {destination.Length} but {outputs.Length} outputs × {variables.Length} variables need {outputs.Length * variables.Length}.", nameof(destination));
        }

        foreach (Scalar y in outputs)
        {
            Validate(y, nameof(Jacobian));
        }

        for (int j = 0; j < outputs.Length; j++)
        {
            Gradient(outputs[j], variables, destination.Slice(j * variables.Length, variables.Length));
        }
    }

    /// <summary>
    /// Validates, seeds every output's adjoint with its weight and sweeps from the last; returns that last index. On a
    /// tape that mixes in tensors, tensor leaves' <c>.Grad</c> accumulate only with <paramref name="leafGrads"/> (Backward).
    /// </summary>
    private int SweepSeeded(ReadOnlySpan<Scalar> outputs, ReadOnlySpan<double> seeds, string op, bool leafGrads)
    {
        if (outputs.Length != seeds.Length)
        {
            throw new ArgumentException($"{op}: {outputs.Length} outputs but {seeds.Length} seeds; give one seed per output.", nameof(seeds));
        }

        using ClaimScope claim = Claim(op);

        int last = Sink;
        foreach (Scalar y in outputs)
        {
            Validate(y, op);
            last = Math.Max(last, y.Index);
        }

        PrepareAdjoints(last);
        for (int j = 0; j < outputs.Length; j++)
        {
            _adjoints[outputs[j].Index] += seeds[j];
        }

        if (_mixed)
        {
            SweepMixedFromScalar(last, leafGrads ? LeafGradSink.For(createGraph: false) : NoLeavesSink.Instance);
        }
        else
        {
            SweepFrom(last);
        }

        CheckScalarBackward(last);
        return last;
    }

    /// <summary>
    /// Sweeps from <paramref name="output"/>; on a tape that mixes in tensors, through them too, accumulating into
    /// tensor leaves' <c>.Grad</c> when <paramref name="leafGrads"/> (Backward) and leaving them alone otherwise (Gradient).
    /// </summary>
    private void Sweep(int output, double seed, bool leafGrads)
    {
        using ClaimScope claim = Claim("Gradient");
        PrepareAdjoints(output);
        _adjoints[output] = seed;
        if (_mixed)
        {
            SweepMixedFromScalar(output, leafGrads ? LeafGradSink.For(createGraph: false) : NoLeavesSink.Instance);
        }
        else
        {
            SweepFrom(output);
        }

        CheckScalarBackward(output);
    }

    private void PrepareAdjoints(int last)
    {
        if (_adjoints.Length < _entries.Length)
        {
            _adjoints = new double[_entries.Length];
        }

        Array.Clear(_adjoints, 0, last + 1);
    }

    /// <summary>The reverse sweep: each entry pushes its adjoint to its inputs, scaled by the local partials.</summary>
    /// <remarks>
    /// The recording order is a topological order, so walking it backwards reaches every entry after all of its
    /// consumers, with its adjoint complete. The loop is bound by latency, not arithmetic: an adjoint that one
    /// iteration stores, the next often loads, and each such store-to-load round trip costs several cycles. An
    /// operation's operands are usually the one or two entries just below it (in <c>sin(y)·a + y·b</c>, the +
    /// follows its two products), so contributions to those two slots wait in registers instead.
    /// </remarks>
    private void SweepFrom(int last) => Sweep(_adjoints.AsSpan(0, last + 1), _entries.AsSpan(0, last + 1));

    /// <summary>The sweep over <paramref name="entries"/> from the last, seeded in <paramref name="adj"/>: the tape's, and a recorded function's replay.</summary>
    internal static void Sweep(Span<double> adj, ReadOnlySpan<Entry> entries)
    {
        int last = entries.Length - 1;
        double next1 = 0.0, next2 = 0.0; // contributions not yet added to adj[i − 1] and adj[i − 2]
        for (int i = last; i > Sink; i--)
        {
            double g = adj[i] + next1;
            adj[i] = g; // the complete adjoint, for the caller
            next1 = next2;
            next2 = 0.0;
            if (g == 0.0)
            {
                // Not on a path to the output (or a zero adjoint): skipping keeps an infinite local
                // partial, such as √x at 0, from turning 0 · ∞ into a NaN in an unrelated input.
                continue;
            }

            ref readonly Entry e = ref entries[i];
            double ga = e.PartialA * g, gb = e.PartialB * g;
            if (e.A == i - 1)
            {
                next1 += ga;
            }
            else if (e.A == i - 2)
            {
                next2 += ga;
            }
            else
            {
                adj[e.A] += ga;
            }

            if (e.B == i - 1)
            {
                next1 += gb;
            }
            else if (e.B == i - 2)
            {
                next2 += gb;
            }
            else
            {
                adj[e.B] += gb;
            }
        }
    }
}
