using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// The derivative of note 000's eq. 5.109, f(x) = √(x² + exp(x²)) + cos(x² + exp(x²)), at 10,000 points,
/// against plain-double evaluation of f at the same points.
/// </summary>
/// <remarks>
/// <para>
/// Every method is written the way a careful person evaluates f, with the common subexpressions named:
/// a = x², b = exp(a), c = a + b, f = √c + cos c (6 operations; on the tape, 7 entries with the variable).
/// <see cref="TapeGradientAsPrinted"/> types f exactly as eq. 5.109 prints it (x² four times, exp twice:
/// 11 operations) to show what not sharing subexpressions costs. Each method returns the sum over the points
/// so that nothing can be optimised away.
/// </para>
/// <para>
/// The tape is reset per point, not per batch: each point is an independent small gradient, which is how one
/// uses a tape for many evaluations of a scalar function (an optimiser's step, a plot of f′). The tape then
/// stays a handful of entries long and lives in L1 cache. Recording all 10,000 points on one tape and asking
/// for each gradient separately would cost a sweep over the whole tape per point, quadratic in the number of
/// points; one sweep for Σᵢ f(xᵢ) would be linear but adds 10,000 additions that plain evaluation does not need.
/// </para>
/// </remarks>
[MemoryDiagnoser]
[MaxIterationCount(30)] // the default job otherwise runs up to 100 iterations on a noisy shared machine
public class Eq5109Benchmarks
{
    public const int Points = 10_000;

    private double[] _points = [];
    private Tape _tape = null!;

    [GlobalSetup]
    public void Setup()
    {
        _points = new double[Points];
        for (int i = 0; i < Points; i++)
        {
            _points[i] = -1.5 + (3.0 * i / (Points - 1));   // evenly spaced in [−1.5, 1.5]
        }

        _tape = new Tape();

        // Warm up: the first sweep allocates the tape's adjoint buffer; after this nothing allocates.
        TapeGradient();
        TapeGradientAsPrinted();
    }

    [GlobalCleanup]
    public void Cleanup() => _tape.Dispose();

    /// <summary>Σᵢ f(xᵢ) in plain doubles: the value only.</summary>
    [Benchmark(Baseline = true)]
    public double PlainDouble()
    {
        double sum = 0.0;
        foreach (double x in _points)
        {
            double a = x * x;
            double b = Math.Exp(a);
            double c = a + b;
            sum += Math.Sqrt(c) + Math.Cos(c);
        }

        return sum;
    }

    /// <summary>Σᵢ f′(xᵢ) from the hand-derived closed form, eq. 5.110 (the derivative only).</summary>
    [Benchmark]
    public double ClosedForm5110()
    {
        double sum = 0.0;
        foreach (double x in _points)
        {
            double a = x * x;
            double b = Math.Exp(a);
            double c = a + b;
            sum += 2.0 * x * ((1.0 / (2.0 * Math.Sqrt(c))) - Math.Sin(c)) * (1.0 + b);
        }

        return sum;
    }

    /// <summary>Σᵢ f′(xᵢ) from the tape: per point, reset, record f (forward), one sweep (backward).</summary>
    [Benchmark]
    public double TapeGradient()
    {
        Tape tape = _tape;
        double sum = 0.0;
        foreach (double xv in _points)
        {
            tape.Reset();
            Scalar x = tape.Variable(xv);
            Scalar a = x * x;
            Scalar b = Scalar.Exp(a);
            Scalar c = a + b;
            Scalar f = Scalar.Sqrt(c) + Scalar.Cos(c);
            sum += tape.Gradient(f, x);
        }

        return sum;
    }

    /// <summary>As <see cref="TapeGradient"/>, with f typed exactly as eq. 5.109 prints it (no shared subexpressions).</summary>
    [Benchmark]
    public double TapeGradientAsPrinted()
    {
        Tape tape = _tape;
        double sum = 0.0;
        foreach (double xv in _points)
        {
            tape.Reset();
            Scalar x = tape.Variable(xv);
            Scalar f = Scalar.Sqrt(x * x + Scalar.Exp(x * x)) + Scalar.Cos(x * x + Scalar.Exp(x * x));
            sum += tape.Gradient(f, x);
        }

        return sum;
    }
}
