using Autodiff.Examples;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// Monte Carlo Greeks of a Black–Scholes call (<see cref="BlackScholes"/>) over 100,000 paths: price alone in plain
/// doubles (the baseline), pathwise Greeks by hand, and the tape — one tape per path, and one per batch of 1,000 paths.
/// </summary>
/// <remarks>
/// One tape per path is how adjoint AD is usually taught for Monte Carlo (the tape stays small and in L1): each path
/// resets the tape, records the four parameters as variables and the path's discounted payoff, and sweeps once. The
/// batch form records the parameters and what does not depend on the path once per 1,000 paths, then the paths' sum.
/// Setup checks every tape result against the hand-derived Greeks to 1e-12.
/// </remarks>
[MemoryDiagnoser]
[MaxIterationCount(30)]
public class BlackScholesBenchmarks
{
    public const int Paths = 100_000;
    public const int Batch = 1_000;

    private const double K = BlackScholes.Strike;

    private readonly double[] _z = BlackScholes.Normals(Paths, seed: 2014);
    private readonly Scalar[] _parameters = new Scalar[4];
    private readonly double[] _pathGradient = new double[4];
    private readonly double[] _gradient = new double[4];
    private Tape _tape = null!;

    /// <summary>The last result, for the checks.</summary>
    public BlackScholes.Greeks Result { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        _tape = new Tape(capacity: 16 * Batch);
        BlackScholes.Greeks reference = BlackScholes.PathwiseByHand(_z);
        TapePerPath();
        BlackScholes.Check(reference, Result, nameof(TapePerPath));
        TapePerBatch();
        BlackScholes.Check(reference, Result, nameof(TapePerBatch));
    }

    [GlobalCleanup]
    public void Cleanup() => _tape.Dispose();

    /// <summary>The price alone, in doubles.</summary>
    [Benchmark(Baseline = true)]
    public double PlainDouble() => BlackScholes.Price(_z);

    /// <summary>Price and pathwise Greeks derived by hand.</summary>
    [Benchmark]
    public double PathwiseByHand()
    {
        Result = BlackScholes.PathwiseByHand(_z);
        return Result.Price;
    }

    /// <summary>One tape per path: reset, four variables, the discounted payoff, one sweep.</summary>
    [Benchmark]
    public double TapePerPath()
    {
        Tape tape = _tape;
        Span<double> sum = _gradient;
        sum.Clear();
        double price = 0.0;
        foreach (double z in _z)
        {
            tape.Reset();
            Scalar s0 = tape.Variable(BlackScholes.Spot), sigma = tape.Variable(BlackScholes.Volatility);
            Scalar r = tape.Variable(BlackScholes.Rate), t = tape.Variable(BlackScholes.Maturity);
            Scalar st = s0 * Scalar.Exp(((r - (0.5 * sigma * sigma)) * t) + (sigma * Scalar.Sqrt(t) * z));
            Scalar payoff = Scalar.Relu(st - K) * Scalar.Exp(-r * t);
            _parameters[0] = s0;
            _parameters[1] = sigma;
            _parameters[2] = r;
            _parameters[3] = t;
            tape.Gradient(payoff, _parameters, _pathGradient);
            price += payoff.Value;
            for (int k = 0; k < 4; k++)
            {
                sum[k] += _pathGradient[k];
            }
        }

        for (int k = 0; k < 4; k++)
        {
            sum[k] /= _z.Length;
        }

        Result = BlackScholes.FromMeans(price / _z.Length, sum);
        return Result.Price;
    }

    /// <summary>One tape per 1,000 paths: the parameters and what does not depend on the path once, then the paths' sum.</summary>
    [Benchmark]
    public double TapePerBatch()
    {
        Tape tape = _tape;
        Span<double> sum = _gradient;
        sum.Clear();
        double price = 0.0;
        for (int start = 0; start < _z.Length; start += Batch)
        {
            tape.Reset();
            Scalar s0 = tape.Variable(BlackScholes.Spot), sigma = tape.Variable(BlackScholes.Volatility);
            Scalar r = tape.Variable(BlackScholes.Rate), t = tape.Variable(BlackScholes.Maturity);
            Scalar drift = (r - (0.5 * sigma * sigma)) * t;
            Scalar diffusion = sigma * Scalar.Sqrt(t);
            Scalar payoffs = tape.Constant(0.0);
            foreach (double z in _z.AsSpan(start, Batch))
            {
                payoffs += Scalar.Relu((s0 * Scalar.Exp(drift + (diffusion * z))) - K);
            }

            Scalar total = payoffs * Scalar.Exp(-r * t);
            _parameters[0] = s0;
            _parameters[1] = sigma;
            _parameters[2] = r;
            _parameters[3] = t;
            tape.Gradient(total, _parameters, _pathGradient);
            price += total.Value;
            for (int k = 0; k < 4; k++)
            {
                sum[k] += _pathGradient[k];
            }
        }

        for (int k = 0; k < 4; k++)
        {
            sum[k] /= _z.Length;
        }

        Result = BlackScholes.FromMeans(price / _z.Length, sum);
        return Result.Price;
    }
}
