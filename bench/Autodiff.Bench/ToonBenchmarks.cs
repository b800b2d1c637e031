using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// ∂J/∂q₀ of Adept's Toon advection benchmark (<see cref="Advection"/>): the scheme in plain doubles
/// (the baseline), its hand-written adjoint, and the tape.
/// </summary>
/// <remarks>
/// Toon's flux has a logarithm and an exponential, so the plain scheme costs about ten times Lax–Wendroff's and the
/// tape's cost per entry weighs less. Written with operators and functions, a flux is 9 entries and an update 2:
/// 1,087 entries per step, 2,174,100 in all. One tape is reused (reset per invocation); the gradient is the
/// vector–Jacobian product with the seed 0.1 on every output. Setup checks every tape gradient against the
/// hand-written adjoint to <see cref="Advection.ToonTolerance"/> (the problem is ill-conditioned; see there).
/// </remarks>
[MemoryDiagnoser]
[MaxIterationCount(30)]
public class ToonBenchmarks
{
    private const int NX = Advection.NX;
    private const double C = Advection.Courant;

    private readonly double[] _q0 = Advection.InitialField();
    private readonly double[] _gradient = new double[NX];
    private readonly Scalar[] _inputs = new Scalar[NX];
    private readonly Scalar[] _q = new Scalar[NX];
    private readonly Scalar[] _flux = new Scalar[NX - 1];
    private readonly double[] _seeds = Enumerable.Repeat(Advection.Seed, NX).ToArray();
    private readonly double[] _history = new double[NX * (Advection.Steps + 1)];
    private Tape _tape = null!;
    private RecordedFunction _function = null!;

    [GlobalSetup]
    public void Setup()
    {
        _tape = new Tape(capacity: 2_200_000);
        var reference = new double[NX];
        Advection.ToonAdjoint(_q0, Advection.Steps, reference, _history);
        TapeAsWritten();
        Advection.CheckAgainst(reference, _gradient, nameof(TapeAsWritten), Advection.ToonTolerance);
        _function = _tape.ToFunction(_inputs, _q); // the step just recorded, replayable at any initial field
        Replay();
        Advection.CheckAgainst(reference, _gradient, nameof(Replay), Advection.ToonTolerance);
    }

    [GlobalCleanup]
    public void Cleanup() => _tape.Dispose();

    /// <summary>The scheme in doubles: J only.</summary>
    [Benchmark(Baseline = true)]
    public double PlainDouble() => Advection.Toon(_q0, Advection.Steps);

    /// <summary>The paper's hand-written adjoint: J and ∂J/∂q₀.</summary>
    [Benchmark]
    public double HandWrittenAdjoint() => Advection.ToonAdjoint(_q0, Advection.Steps, _gradient, _history);

    /// <summary>The scheme recorded as written, with operators (9 entries per flux, 2 per update), and one VJP.</summary>
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
                flux[i] = (Scalar.Exp(C * Scalar.Log(q[i] / q[i + 1])) - 1.0) * q[i] * q[i + 1] / (q[i] - q[i + 1]);
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
}
