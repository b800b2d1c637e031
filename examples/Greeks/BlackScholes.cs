namespace Autodiff.Examples;

/// <summary>
/// A European call under Black–Scholes priced by Monte Carlo, with the pathwise Greeks delta (∂/∂S₀), vega (∂/∂σ),
/// rho (∂/∂r) and theta (−∂/∂T): S_T = S₀·exp((r − σ²/2)T + σ√T·Z), V = e^(−rT)·E[max(S_T − K, 0)].
/// </summary>
/// <remarks>
/// The pathwise derivative of max(S_T − K, 0) is 1{S_T &gt; K}·∂S_T/∂θ, which is unbiased for a call (the payoff is
/// continuous). The normal draws are made once (Box–Muller from a seeded generator) and shared by every method.
/// </remarks>
public static class BlackScholes
{
    public const double Spot = 100.0;
    public const double Strike = 100.0;
    public const double Volatility = 0.2;
    public const double Rate = 0.05;
    public const double Maturity = 1.0;

    /// <summary>The parameters in the order the Greeks come: S₀, σ, r, T.</summary>
    public static readonly double[] Parameters = [Spot, Volatility, Rate, Maturity];

    /// <summary>Price and the four Greeks (theta is −∂V/∂T, the change per unit of calendar time).</summary>
    public record struct Greeks(double Price, double Delta, double Vega, double Rho, double Theta);

    /// <summary><paramref name="count"/> standard normal draws.</summary>
    public static double[] Normals(int count, int seed)
    {
        var random = new Random(seed);
        var z = new double[count];
        for (int i = 0; i < count; i += 2)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            z[i] = radius * Math.Cos(2.0 * Math.PI * u2);
            if (i + 1 < count)
            {
                z[i + 1] = radius * Math.Sin(2.0 * Math.PI * u2);
            }
        }

        return z;
    }

    /// <summary>The price alone, in doubles, the way one writes it: what does not depend on the path is computed once.</summary>
    public static double Price(ReadOnlySpan<double> z)
    {
        double drift = (Rate - (0.5 * Volatility * Volatility)) * Maturity;
        double diffusion = Volatility * Math.Sqrt(Maturity);
        double sum = 0.0;
        foreach (double zi in z)
        {
            double st = Spot * Math.Exp(drift + (diffusion * zi));
            sum += Math.Max(st - Strike, 0.0);
        }

        return Math.Exp(-Rate * Maturity) * sum / z.Length;
    }

    /// <summary>Price and pathwise Greeks derived by hand.</summary>
    public static Greeks PathwiseByHand(ReadOnlySpan<double> z)
    {
        double sqrtT = Math.Sqrt(Maturity);
        double drift = (Rate - (0.5 * Volatility * Volatility)) * Maturity;
        double diffusion = Volatility * sqrtT;
        double payoffs = 0.0, delta = 0.0, vega = 0.0, rho = 0.0, dT = 0.0;
        foreach (double zi in z)
        {
            double st = Spot * Math.Exp(drift + (diffusion * zi));
            if (st > Strike)
            {
                payoffs += st - Strike;
                delta += st;                                                          // ∂S_T/∂S₀ = S_T/S₀
                vega += st * ((-Volatility * Maturity) + (sqrtT * zi));               // ∂S_T/∂σ
                rho += st;                                                            // ∂S_T/∂r = T·S_T
                dT += st * ((Rate - (0.5 * Volatility * Volatility)) + (0.5 * Volatility * zi / sqrtT)); // ∂S_T/∂T
            }
        }

        double discount = Math.Exp(-Rate * Maturity) / z.Length;
        double price = discount * payoffs;
        return new Greeks(
            price,
            discount * delta / Spot,
            discount * vega,
            (discount * rho * Maturity) - (Maturity * price),
            -((discount * dT) - (Rate * price)));
    }

    /// <summary>Price and Greeks from the mean discounted payoff and its mean gradient (S₀, σ, r, T).</summary>
    public static Greeks FromMeans(double price, ReadOnlySpan<double> gradient)
        => new(price, gradient[0], gradient[1], gradient[2], -gradient[3]);

    /// <summary>Throws unless two sets of Greeks agree to 1e-12 relative.</summary>
    public static void Check(Greeks expected, Greeks actual, string what)
    {
        ReadOnlySpan<double> e = [expected.Price, expected.Delta, expected.Vega, expected.Rho, expected.Theta];
        ReadOnlySpan<double> a = [actual.Price, actual.Delta, actual.Vega, actual.Rho, actual.Theta];
        for (int i = 0; i < e.Length; i++)
        {
            if (!(Math.Abs(e[i] - a[i]) <= 1e-12 * Math.Max(1.0, Math.Abs(e[i]))))
            {
                throw new InvalidOperationException($"{what}: {actual} differs from the hand-derived {expected}.");
            }
        }
    }
}
