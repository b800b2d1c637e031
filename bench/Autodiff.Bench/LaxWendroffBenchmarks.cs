using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// ∂J/∂q₀ of Adept's Lax–Wendroff advection benchmark (<see cref="Advection"/>): the scheme in plain doubles
/// (the baseline), its hand-written adjoint, and the tape.
/// </summary>
/// <remarks>
/// Lax–Wendroff has no mathematical functions: every entry is cheap arithmetic, which is where an operator-overloading
/// tool's cost per entry shows most (the paper: all tools do worse here). Written with operators, a flux is 5 entries and
/// an update 2: 691 entries per step, 1,382,100 in all. One tape is reused (reset per invocation); the gradient is the
/// vector–Jacobian product with the seed 0.1 on every output. Setup checks every tape gradient against the
/// hand-written adjoint to 1e-12.
/// </remarks>
[MemoryDiagnoser]
[MaxIterationCount(30)]
public class LaxWendroffBenchmarks
{
    private const int NX = Advection.NX;
    private const double C = Advection.Courant;

    private readonly double[] _q0 = Advection.InitialField();
    private readonly double[] _gradient = new double[NX];
    private readonly Scalar[] _inputs = new Scalar[NX];
    private readonly Scalar[] _q = new Scalar[NX];
    private readonly Scalar[] _flux = new Scalar[NX - 1];
    private readonly double[] _seeds = Enumerable.Repeat(Advection.Seed, NX).ToArray();
    private Tape _tape = null!;
    private RecordedFunction _function = null!;
    private readonly double[] _final = new double[NX];

    [GlobalSetup]
    public void Setup()
    {
        _tape = new Tape(capacity: 1_500_000);
        var reference = new double[NX];
        Advection.LaxWendroffAdjoint(_q0, Advection.Steps, reference);
        TapeAsWritten();
        Advection.CheckAgainst(reference, _gradient, nameof(TapeAsWritten));
        _function = _tape.ToFunction(_inputs, _q); // the step just recorded, replayable at any initial field
        Replay();
        Advection.CheckAgainst(reference, _gradient, nameof(Replay));
    }

    [GlobalCleanup]
    public void Cleanup() => _tape.Dispose();

    /// <summary>The scheme in doubles: J only.</summary>
    [Benchmark(Baseline = true)]
    public double PlainDouble() => Advection.LaxWendroff(_q0, Advection.Steps);

    /// <summary>The paper's hand-written adjoint: J and ∂J/∂q₀.</summary>
    [Benchmark]
    public double HandWrittenAdjoint() => Advection.LaxWendroffAdjoint(_q0, Advection.Steps, _gradient);

    /// <summary>The scheme recorded as written, with operators (5 entries per flux, 2 per update), and one VJP.</summary>
    [Benchmark]
    public double TapeAsWritten()
    {
        Tape tape = _tape;
        tape.Reset();
        Scalar[] q = _q, flux = _flux;
        for (int i = 0; i < NX; i++)
        {
            q[i] = _inputs[i] = tape.Variable(_q0[i], name: null, file: null, line: 0);
        }

        for (int j = 0; j < Advection.Steps; j++)
        {
            for (int i = 0; i < NX - 1; i++)
            {
                flux[i] = 0.5 * C * (q[i] + q[i + 1] + (C * (q[i] - q[i + 1])));
            }

            for (int i = 1; i < NX - 1; i++)
            {
                q[i] += flux[i - 1] - flux[i];
            }

            q[0] = q[NX - 2];
            q[NX - 1] = q[1];
        }

        Gradients g = tape.Backward(q, _seeds);
        for (int i = 0; i < NX; i++)
        {
            _gradient[i] = g[_inputs[i]];
        }

        return _gradient[0];
    }

    /// <summary>The recorded function replayed at the initial field: J's value and gradient without recording again.</summary>
    [Benchmark]
    public double Replay()
    {
        _function.Vjp(_q0, _seeds, _gradient);
        return _gradient[0];
    }

    /// <summary>The replay's forward half alone: every entry's value and partials, J's parts in <c>_final</c>.</summary>
    [Benchmark]
    public double ReplayForward()
    {
        _function.Evaluate(_q0, _final);
        return _final[0];
    }
}
