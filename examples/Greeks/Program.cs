// Monte Carlo Greeks of a European call under Black–Scholes, as adjoint AD is used in finance: each path's
// discounted payoff is recorded on a small tape and swept back once, giving its derivatives with respect to all four
// parameters (S₀, σ, r, T) at once. Beside the closed form, every Monte Carlo number is judged in units of its own
// standard error; beside a hand-written pathwise adjoint, the tape must agree to rounding; and the cost is the ratio
// to pricing alone in plain doubles.
using System.Diagnostics;
using Autodiff;
using Autodiff.Examples;
using static Autodiff.Examples.BlackScholes;

var nb = new Notebook(args, "Black–Scholes Monte Carlo Greeks from the tape");
int paths = nb.Quick ? 20_000 : 1_000_000;

Notebook.Section("1. The closed form (Black–Scholes 1973; Hull's worked example S₀ = K = 100, σ = 0.2, r = 5 %, T = 1)");
// d₁ = (ln(S₀/K) + (r + σ²/2)T) / (σ√T) = 0.35 and d₂ = d₁ − σ√T = 0.15 here.
double sqrtT = Math.Sqrt(Maturity);
double d1 = (Math.Log(Spot / Strike) + ((Rate + (0.5 * Volatility * Volatility)) * Maturity)) / (Volatility * sqrtT), d2 = d1 - (Volatility * sqrtT);
using var tape = new Tape();
double N(double x) => Scalar.NormalCdf(tape.Constant(x)).Value;
double Phi(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
double discount = Math.Exp(-Rate * Maturity);
var exact = new Greeks(
    Price: (Spot * N(d1)) - (Strike * discount * N(d2)),
    Delta: N(d1),
    Vega: Spot * Phi(d1) * sqrtT,
    Rho: Strike * Maturity * discount * N(d2),
    Theta: -((Spot * Phi(d1) * Volatility / (2 * sqrtT)) + (Rate * Strike * discount * N(d2))));
Console.WriteLine($"  d₁ = {d1:F4}, d₂ = {d2:F4}");
Console.WriteLine($"  price {exact.Price:F6}, delta {exact.Delta:F6}, vega {exact.Vega:F6}, rho {exact.Rho:F6}, theta {exact.Theta:F6} (per year)");
nb.Check("N(0.35), the tabulated value 0.636830651175619", N(0.35), 0.636830651175619, 1e-14);
nb.Check("the price, the well-known 10.450583572185565", exact.Price, 10.450583572185565, 1e-12);

// The same Greeks by differentiating the pricing formula itself on the tape: one sweep, four partials.
tape.Reset();
Scalar s0 = tape.Variable(Spot), sigma = tape.Variable(Volatility), r = tape.Variable(Rate), t = tape.Variable(Maturity);
Scalar sd = sigma * Scalar.Sqrt(t);
Scalar e1 = (Scalar.Log(s0 / Strike) + ((r + (0.5 * sigma * sigma)) * t)) / sd;
Scalar formula = (s0 * Scalar.NormalCdf(e1)) - (Strike * Scalar.Exp(-r * t) * Scalar.NormalCdf(e1 - sd));
double[] dFormula = tape.Gradient(formula, s0, sigma, r, t);
Console.WriteLine($"  the formula differentiated on the tape: ∂/∂S₀ {dFormula[0]:F6}, ∂/∂σ {dFormula[1]:F6}, ∂/∂r {dFormula[2]:F6}, −∂/∂T {-dFormula[3]:F6}");
nb.Check("∂V/∂S₀ of the formula = N(d₁)", dFormula[0], exact.Delta, 1e-12);
nb.Check("∂V/∂σ of the formula = S₀φ(d₁)√T", dFormula[1], exact.Vega, 1e-11);
nb.Check("∂V/∂r of the formula = KTe^(−rT)N(d₂)", dFormula[2], exact.Rho, 1e-11);
nb.Check("−∂V/∂T of the formula = the closed-form theta", -dFormula[3], exact.Theta, 1e-11);

Notebook.Section($"2. Monte Carlo with one tape per path ({paths:N0} paths)");
// S_T = S₀·exp((r − σ²/2)T + σ√T·Z), payoff e^(−rT)·max(S_T − K, 0). Its pathwise derivative 1{S_T > K}·∂S_T/∂θ is
// unbiased for a call (the payoff is continuous in θ); gamma is not (the derivative of the kink is a delta function),
// so it is left out. Each path: reset, four variables, the payoff, one sweep; sums and sums of squares give the mean
// and its standard error for the price and each Greek.
double[] z = Normals(paths, seed: 2014);
var sums = new double[5];
var squares = new double[5];
var parameters = new Scalar[4];
var pathGradient = new double[4];
void TapePass()
{
    Array.Clear(sums);
    Array.Clear(squares);
    foreach (double zi in z)
    {
        tape.Reset();
        Scalar ps0 = parameters[0] = tape.Variable(Spot), psigma = parameters[1] = tape.Variable(Volatility);
        Scalar pr = parameters[2] = tape.Variable(Rate), pt = parameters[3] = tape.Variable(Maturity);
        Scalar st = ps0 * Scalar.Exp(((pr - (0.5 * psigma * psigma)) * pt) + (psigma * Scalar.Sqrt(pt) * zi));
        Scalar payoff = Scalar.Relu(st - Strike) * Scalar.Exp(-pr * pt);
        tape.Gradient(payoff, parameters, pathGradient);
        ReadOnlySpan<double> sample = [payoff.Value, pathGradient[0], pathGradient[1], pathGradient[2], -pathGradient[3]];
        for (int k = 0; k < 5; k++)
        {
            sums[k] += sample[k];
            squares[k] += sample[k] * sample[k];
        }
    }
}

TapePass();
string[] names = ["price", "delta", "vega", "rho", "theta"];
double[] closed = [exact.Price, exact.Delta, exact.Vega, exact.Rho, exact.Theta];
var estimate = new double[5];
Console.WriteLine($"  {"",-6} {"closed form",12} {"Monte Carlo",12} {"std. error",11} {"error / s.e.",13}");
for (int k = 0; k < 5; k++)
{
    estimate[k] = sums[k] / paths;
    double variance = Math.Max(0, (squares[k] / paths) - (estimate[k] * estimate[k])) * paths / (paths - 1);
    double standardError = Math.Sqrt(variance / paths), units = (estimate[k] - closed[k]) / standardError;
    Console.WriteLine($"  {names[k],-6} {closed[k],12:F6} {estimate[k],12:F6} {standardError,11:F6} {units,13:+0.00;-0.00}");
    nb.Check($"{names[k]}: Monte Carlo within 4 standard errors of the closed form ({units:+0.00;-0.00})", Math.Abs(units) < 4);
}

Notebook.Section("3. The tape against a pathwise adjoint written by hand, on the same draws");
Greeks byHand = PathwiseByHand(z);
double[] hand = [byHand.Price, byHand.Delta, byHand.Vega, byHand.Rho, byHand.Theta];
// The same numbers up to the order of summation: the tape adds each path's derivative, the adjoint by hand sums
// payoffs and S_T first and combines the sums (rho as T·(Σ discounted S_T − price), a difference of large sums), so
// they differ by the rounding of a million-term sum (≲ 10⁻¹¹ relative here), not by anything the tape did.
for (int k = 0; k < 5; k++)
{
    nb.Check($"{names[k]}: tape = hand-written adjoint", estimate[k], hand[k], 1e-10 * Math.Max(1, Math.Abs(hand[k])));
}

Notebook.Section("4. What the Greeks cost (one thread, whole passes over the paths, median of 5)");
// Pricing alone in plain doubles is the baseline, as in the benchmark (bench/Autodiff.Bench/BlackScholesBenchmarks.cs,
// which BenchmarkDotNet times properly); the tape's pass is the one of section 2, the adjoint's that of section 3,
// each warm (the first passes above ran the JIT).
double Median(Action pass)
{
    var times = new double[5];
    for (int i = 0; i < times.Length; i++)
    {
        var watch = Stopwatch.StartNew();
        pass();
        times[i] = watch.Elapsed.TotalSeconds;
    }

    Array.Sort(times);
    return times[2];
}

double sink = 0;   // a captured variable that each timed pass adds to, so that no pass's result can be dropped
double plain = Median(() => sink += Price(z)), adjoint = Median(() => sink += PathwiseByHand(z).Price), tapeSeconds = Median(TapePass);
Console.WriteLine($"  price alone, plain doubles        {plain * 1e3,9:F2} ms");
Console.WriteLine($"  price + 4 Greeks, hand adjoint    {adjoint * 1e3,9:F2} ms   {adjoint / plain,6:F1}×");
Console.WriteLine($"  price + 4 Greeks, tape per path   {tapeSeconds * 1e3,9:F2} ms   {tapeSeconds / plain,6:F1}×");
Console.WriteLine($"  (bumping each parameter instead would cost 5 pricings and give biased, noisier differences)");
nb.Check("the Monte Carlo price is positive", estimate[0] > 0);
return nb.Finish();
