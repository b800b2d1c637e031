using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// The gradient of a long chain of scalar operations, 1,000,000 recorded operations in all, against the same
/// chain evaluated in plain <see cref="double"/>.
/// </summary>
/// <remarks>
/// <para>
/// The chain is a recurrence with a running sum, like the loss of a recurrent network summed over time steps:
/// <code>
///     y₀ = x,  s₀ = x
///     yₖ₊₁ = sin(yₖ)·a + yₖ·b        sin, ·, ·, +   (4 operations)
///     sₖ₊₁ = sₖ + yₖ₊₁                 +              (1 operation)
/// </code>
/// for k = 0 … 199,999: 200,000 steps × 5 operations = 1,000,000 operations, a mix of one transcendental
/// (sin) to four cheap arithmetic operations (two multiplications, two additions), all on scalar × scalar
/// operands (x, a and b are tape variables). The benchmarks return ∂s/∂x (the tape) or s (plain double).
/// </para>
/// <para>
/// The numbers are chosen so that the benchmark measures the engine, not floating-point corner cases: with
/// a = 0.9 and b = 0.5, y settles at the stable fixed point y* ≈ 1.77 (never 0, so no subnormal values), the
/// local derivative a·cos y + b there is ≈ 0.32, and because every yₖ also feeds the sum, every adjoint stays
/// near 1.5: no adjoint underflows to a subnormal or to exactly 0 (which the sweep would skip), and none overflows.
/// </para>
/// <para>
/// One tape is created in <see cref="Setup"/> with room for the whole chain and reused: every invocation
/// starts with <see cref="Tape.Reset"/>, so a warm invocation allocates nothing. <see cref="TapeForward"/> and
/// <see cref="TapeBackward"/> split the cost of <see cref="TapeForwardBackward"/> into recording and sweeping.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[MaxIterationCount(30)] // the default job otherwise runs up to 100 iterations on a noisy shared machine
public class ScalarChainBenchmarks
{
    public const int Steps = 200_000;
    public const int OperationsPerStep = 5;

    private const double X0 = 0.5;
    private const double A = 0.9;
    private const double B = 0.5;

    private Tape _tape = null!;
    private Tape _recorded = null!;
    private Scalar _recordedX;
    private Scalar _recordedS;

    [GlobalSetup]
    public void Setup()
    {
        // A second tape holds one recorded chain for the backward-only benchmark; it stays as recorded.
        _recorded = new Tape(capacity: (Steps * OperationsPerStep) + 16);
        (_recordedX, _recordedS) = Record(_recorded);

        _tape = new Tape(capacity: (Steps * OperationsPerStep) + 16);

        // Warm up: the first sweep allocates each tape's adjoint buffer; after this nothing allocates.
        TapeForwardBackward();
        TapeBackward();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tape.Dispose();
        _recorded.Dispose();
    }

    /// <summary>The chain in plain doubles: the value only.</summary>
    [Benchmark(Baseline = true)]
    public double PlainDouble()
    {
        double a = A, b = B;
        double y = X0, s = X0;
        for (int k = 0; k < Steps; k++)
        {
            y = (Math.Sin(y) * a) + (y * b);
            s += y;
        }

        return s;
    }

    /// <summary>Forward pass only: record the 1,000,000 operations on the reused tape.</summary>
    [Benchmark]
    public double TapeForward()
    {
        _tape.Reset();
        (_, Scalar s) = Record(_tape);
        return s.Value;
    }

    /// <summary>Backward pass only: one reverse sweep over a chain recorded in <see cref="Setup"/>.</summary>
    [Benchmark]
    public double TapeBackward() => _recorded.Gradient(_recordedS, _recordedX);

    /// <summary>Forward and backward: record the chain on the reused tape, then ∂s/∂x.</summary>
    [Benchmark]
    public double TapeForwardBackward()
    {
        _tape.Reset();
        (Scalar x, Scalar s) = Record(_tape);
        return _tape.Gradient(s, x);
    }

    private static (Scalar X, Scalar S) Record(Tape tape)
    {
        Scalar x = tape.Variable(X0);
        Scalar a = tape.Variable(A);
        Scalar b = tape.Variable(B);
        Scalar y = x, s = x;
        for (int k = 0; k < Steps; k++)
        {
            y = (Scalar.Sin(y) * a) + (y * b);
            s += y;
        }

        return (x, s);
    }
}
