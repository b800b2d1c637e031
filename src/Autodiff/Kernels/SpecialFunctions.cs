namespace Autodiff.Kernels;

/// <summary>
/// Special functions that <see cref="Math"/> does not provide: the error function and its complement,
/// the standard normal distribution, and accurate log(1 + x) and eˣ − 1.
/// </summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double OneOverSqrtPi = 0.5641895835477563;
    private const double OneOverSqrtTwoPi = 0.3989422804014327;
    private const double Sqrt2 = 1.4142135623730951;

    // Below this |x| erf comes from its power series; above it erf = 1 - erfc, where erfc is small and accurate
    // enough that the subtraction rounds almost correctly. The series error grows with x (measured worst
    // 4.5e-16 with the limit at 2, 6.4e-16 with it at 2.5); at 2 both sides cost about the same, ~30 series
    // terms against 37 levels of the continued fraction.
    private const double ErfSeriesLimit = 2.0;

    // Below this x erfc = 1 - erf(series): erfc > 0.29 here, so the subtraction loses at most about two bits.
    // Higher up the cancellation grows quickly (erfc(2) = 0.005), so the continued fraction takes over. Its
    // depth grows like 1/x^2 (228 levels at 0.75); measured worst relative errors were 1.3e-15 with the limit
    // at 1, 9.1e-16 at 0.75 and 4.7e-16 at 0.5, where the fraction needs 506 levels.
    private const double ErfcSeriesLimit = 0.75;

    // erfc(6) = 2.2e-17 is below half an ulp of 1 from below (2^-54 = 5.6e-17), so erf(x) rounds to exactly 1.
    private const double ErfSaturation = 6.0;

    // erfc(27.25) = 6.7e-325 is already below half the smallest subnormal, so beyond this erfc rounds to 0.
    // The cut-off also keeps x * x finite.
    private const double ErfcUnderflow = 27.3;

    // e^(-x^2/2) / sqrt(2 pi) is below half the smallest subnormal from |x| = 38.6 on.
    private const double NormalPdfUnderflow = 40.0;

    // Depth of the contracted continued fraction: DepthNumerator / x^2 + DepthOffset. Against 40-digit
    // arithmetic on 400 points over [0.75, 27.3], this is 0 to 20 % deeper than the least depth that keeps the
    // truncation error below 1e-17 relative (187 terms at x = 0.75, 3 at x = 19).
    private const double DepthNumerator = 125.0;
    private const int DepthOffset = 6;

    /// <summary>Computes the error function erf(x) = 2/sqrt(pi) * integral from 0 to x of e^(-t^2) dt.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>erf(x), in [-1, 1]; NaN for NaN, and +-1 for +-infinity.</returns>
    /// <remarks>
    /// For |x| &lt; 2 the power series erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)) is summed;
    /// all its terms are positive, so nothing cancels. For larger |x| the result is 1 - erfc(|x|) with erfc from
    /// its continued fraction. The sign is restored last, so erf(-x) = -erf(x) exactly and erf(-0) = -0.
    /// Measured against 50-digit mpmath on a grid of step 1/4096 over [-6, 6], 100 000 random points there and
    /// +-10^(k/10) from 1e-308 to 0.8: absolute error at most 4.5e-16 and relative error at most 4.5e-16.
    /// </remarks>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        double result;
        if (ax < ErfSeriesLimit)
        {
            result = ErfSeries(ax);
        }
        else if (ax < ErfSaturation)
        {
            result = 1.0 - (ExpMinusSquare(ax) * ScaledErfcFraction(ax));
        }
        else
        {
            result = 1.0;
        }

        return Math.CopySign(result, x);
    }

    /// <summary>Computes the complementary error function erfc(x) = 1 - erf(x).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>erfc(x), in [0, 2]; NaN for NaN, 0 for +infinity and 2 for -infinity.</returns>
    /// <remarks>
    /// For 0 &lt;= x &lt; 0.75, where erfc(x) &gt; 0.29, it is 1 - erf(x) from the power series. For larger x it is
    /// e^(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))): the continued fraction, in its
    /// contracted (even) form, is evaluated from the bottom up with a depth chosen from x, and e^(-x^2) is formed
    /// so that the rounding of x^2 does not leak into the result. Negative arguments use erfc(-x) = 2 - erfc(x).
    /// Measured against 50-digit mpmath on a grid of step 1/4096 over [-6, 27.3] and 200 000 random points (half
    /// of them in [0.5, 3]): relative error at most 9.1e-16 (the worst just below 0.75; 5.8e-16 from 0.75 on)
    /// while the result is a normal double, that is for x &lt; 26.5. Beyond that the result is subnormal and only
    /// accurate to about the smallest subnormal; from x = 27.3 on it is 0.
    /// </remarks>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        if (x < 0.0)
        {
            double ax = -x;
            if (ax < ErfSeriesLimit)
            {
                return 1.0 + ErfSeries(ax);
            }

            return ax < ErfSaturation ? 2.0 - (ExpMinusSquare(ax) * ScaledErfcFraction(ax)) : 2.0;
        }

        if (x < ErfcSeriesLimit)
        {
            return 1.0 - ErfSeries(x);
        }

        return x < ErfcUnderflow ? ExpMinusSquare(x) * ScaledErfcFraction(x) : 0.0;
    }

    /// <summary>
    /// Φ(x) in single precision: 0.5·erfc(−x/√2) with the Chebyshev-fitted erfc of Numerical Recipes (erfcc), whose
    /// relative error is below 1.2e-7 everywhere — a float's own precision — at a fraction of the cost of the
    /// double-precision continued fraction, which a float network's GELU does not need.
    /// </summary>
    public static float NormalCdf(float x)
    {
        float z = -x * 0.70710678f, t = 1f / (1f + (0.5f * MathF.Abs(z)));
        float poly = -1.26551223f + (t * (1.00002368f + (t * (0.37409196f + (t * (0.09678418f + (t * (-0.18628806f
            + (t * (0.27886807f + (t * (-1.13520398f + (t * (1.48851587f + (t * (-0.82215223f + (t * 0.17087277f)))))))))))))))));
        // −z² in double: in float its rounding (an ulp of 72 is 8e-6 at the far tail) would be the error of the result.
        double zd = -x * 0.7071067811865476;
        float erfc = t * (float)Math.Exp((-zd * zd) + poly);
        return 0.5f * (z >= 0 ? erfc : 2f - erfc);
    }

    /// <summary>φ(x) = e^(−x²/2)/√(2π) in single precision.</summary>
    public static float NormalPdf(float x) => (float)(0.3989422804014327 * Math.Exp(-0.5 * x * (double)x));

    /// <summary>
    /// Computes the standard normal cumulative distribution function Phi(x) = erfc(-x / sqrt(2)) / 2.
    /// </summary>
    /// <param name="x">The argument.</param>
    /// <returns>Phi(x), in [0, 1]; NaN for NaN, 0 for -infinity and 1 for +infinity.</returns>
    /// <remarks>
    /// In the left tail (x &lt;= -1.06) the Gaussian factor is computed as e^(-x^2/2) from x itself rather than
    /// as e^(-t^2) from t = -x / sqrt(2): the rounding of t would otherwise be amplified by 2 t^2 (to ~1e-13
    /// near x = -38). Elsewhere it is erfc(-x / sqrt(2)) / 2. Measured against 50-digit mpmath on a grid of step
    /// 1/1024 over [-38.5, 9] and 50 000 random points there: relative error at most 7.8e-16 while the result is
    /// a normal double (x &gt; -37.5).
    /// </remarks>
    public static double NormalCdf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double t = -x / Sqrt2;
        if (t < ErfcSeriesLimit)
        {
            return 0.5 * Erfc(t);
        }

        return t < ErfcUnderflow ? 0.5 * ExpMinusHalfSquare(x) * ScaledErfcFraction(t) : 0.0;
    }

    /// <summary>Computes the standard normal density phi(x) = e^(-x^2/2) / sqrt(2 pi).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>phi(x); NaN for NaN and 0 for +-infinity.</returns>
    /// <remarks>
    /// The exponent is corrected for the rounding error of x * x, which would otherwise cost up to x^2/2 ulps
    /// (hundreds of ulps in the tails). Measured against 50-digit mpmath on a grid of step 1/1024 over
    /// [-38.5, 38.5] and 50 000 random points there: relative error at most 4.3e-16 while the result is a normal
    /// double (|x| &lt; 37.5).
    /// </remarks>
    public static double NormalPdf(double x)
    {
        if (Math.Abs(x) > NormalPdfUnderflow)
        {
            return 0.0;
        }

        return OneOverSqrtTwoPi * ExpMinusHalfSquare(x);
    }

    /// <summary>Computes the derivative of erf, 2/sqrt(pi) * e^(-x^2).</summary>
    /// <param name="x">The argument.</param>
    /// <returns>2/sqrt(pi) e^(-x^2); 0 from |x| = 27.3 on and for +-infinity, NaN for NaN.</returns>
    /// <remarks>e^(-x^2) is corrected for the rounding of x * x, as in <see cref="Erfc"/>.</remarks>
    public static double ErfDerivative(double x)
    {
        double ax = Math.Abs(x);
        return ax < ErfcUnderflow ? TwoOverSqrtPi * ExpMinusSquare(ax) : double.IsNaN(x) ? x : 0.0;
    }

    /// <summary>Computes log(1 + x), accurately also when |x| is tiny.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>log(1 + x); -infinity for x = -1, NaN for x &lt; -1 and for NaN, +infinity for +infinity.</returns>
    /// <remarks>
    /// <see cref="double.LogP1(double)"/> is Log(x + 1) and loses everything that 1 + x rounds away. This uses
    /// Kahan's correction log(u) * x / (u - 1) with u = 1 + x: the same rounding error appears in log(u) and in
    /// u - 1 and cancels in the quotient. Measured against 50-digit mpmath on +-10^(k/20) from 1e-300 to 1e300,
    /// a grid of step 1/4096 over (-1, 10] and 50 000 random points there: relative error at most 3.0e-16.
    /// </remarks>
    public static double Log1p(double x)
    {
        if (double.IsPositiveInfinity(x))
        {
            return x;
        }

        double u = 1.0 + x;
        if (u == 1.0)
        {
            // log(1 + x) = x - x^2/2 + ..., and x^2/2 is below half an ulp of x here.
            return x;
        }

        // Dividing first keeps the product finite for x near double.MaxValue.
        return Math.Log(u) * (x / (u - 1.0));
    }

    /// <summary>Computes e^x - 1, accurately also when |x| is tiny.</summary>
    /// <param name="x">The argument.</param>
    /// <returns>e^x - 1; -1 for very negative x and for -infinity, +infinity from x &gt; 709.78 on, NaN for NaN.</returns>
    /// <remarks>
    /// <see cref="double.ExpM1(double)"/> is Exp(x) - 1 and loses everything that e^x rounds away (it returns 0 for
    /// 1e-17). This is Kahan's form (u - 1) * x / log(u) with u = e^x: the rounding error of u appears in u - 1 and
    /// in log(u) alike and cancels in the quotient. Measured against 50-digit mpmath on ±10^(k/100) from 1e-30 to 2 and
    /// 100 000 random points in [-40, 40] and [-1, 1]: relative error at most 2.9e-16.
    /// </remarks>
    public static double Expm1(double x) => Expm1(x, out _);

    /// <summary>Computes e^x - 1 as <see cref="Expm1(double)"/> does, and e^x (its derivative) on the way.</summary>
    /// <param name="x">The argument.</param>
    /// <param name="exp">Receives e^x, accurate also where e^x - 1 rounds to -1.</param>
    public static double Expm1(double x, out double exp)
    {
        double u = Math.Exp(x);
        exp = u;
        if (u == 1.0)
        {
            // e^x - 1 = x + x^2/2 + ..., and x^2/2 is below half an ulp of x here (this also keeps -0).
            return x;
        }

        double um1 = u - 1.0;
        if (um1 == -1.0 || double.IsPositiveInfinity(u))
        {
            return um1; // -1 once e^x is below half an ulp of 1; +infinity on overflow
        }

        return um1 * (x / Math.Log(u));
    }

    // erf(x) for 0 <= x < ErfSeriesLimit.
    private static double ErfSeries(double x)
    {
        // The exponential deliberately uses the same rounded x * x as the series. The product e^(-y) * S(y) varies
        // only like y^(-1/2), so a relative error in y moves it by half that, whereas e^(-y) alone would move by
        // y times that.
        double xx = x * x;
        double ratio = 2.0 * xx;
        double term = x;
        double sum = x;
        double compensation = 0.0;
        for (int n = 1; term > sum * 1e-17; n++)
        {
            term = term * ratio / ((2 * n) + 1);

            // Compensated (Neumaier) summation: with up to 30 terms the rounding of the plain sum was the largest
            // error source, several ulps near x = 2.
            double next = sum + term;
            compensation += sum >= term ? (sum - next) + term : (term - next) + sum;
            sum = next;
        }

        return TwoOverSqrtPi * (Math.Exp(-xx) * (sum + compensation));
    }

    // e^(x^2) erfc(x) for x >= ErfcSeriesLimit. The continued fraction
    // erfc(x) = e^(-x^2) / sqrt(pi) * 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))
    // is used in its even contraction, which needs half the depth for the same truncation error:
    // erfc(x) = x e^(-x^2) / sqrt(pi) * 1 / (x^2 + 1/2 - (1*2/4) / (x^2 + 5/2 - (3*4/4) / (x^2 + 9/2 - ...))).
    private static double ScaledErfcFraction(double x)
    {
        // Evaluating from the bottom up with a fixed depth, instead of top-down with Lentz's method, damps the
        // rounding errors on the way up: about 1 ulp in total, where a few hundred Lentz updates near x = 1
        // accumulated about 10 ulps.
        double xx = x * x;
        int depth = (int)(DepthNumerator / xx) + DepthOffset;
        double denominator = xx + (2 * depth) + 0.5;
        for (int k = depth; k > 0; k--)
        {
            denominator = xx + ((2 * k) - 1.5) - ((k - 0.5) * k / denominator);
        }

        return OneOverSqrtPi * x / denominator;
    }

    // e^(-x^2) for |x| < ErfcUnderflow. x * x is rounded by up to x^2 * 2^-53, which e^(-x^2) would turn into a
    // relative error of the same size (1e-13 near x = 27); the exact remainder of the product removes it.
    private static double ExpMinusSquare(double x)
    {
        double xx = x * x;
        double remainder = Math.FusedMultiplyAdd(x, x, -xx);
        return Math.Exp(-xx) * (1.0 - remainder);
    }

    // e^(-x^2 / 2) for |x| <= NormalPdfUnderflow, with the same correction as ExpMinusSquare.
    private static double ExpMinusHalfSquare(double x)
    {
        double xx = x * x;
        double remainder = Math.FusedMultiplyAdd(x, x, -xx);
        return Math.Exp(-0.5 * xx) * (1.0 - (0.5 * remainder));
    }
}
