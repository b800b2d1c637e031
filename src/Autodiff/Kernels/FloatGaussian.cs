using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>
/// Φ, φ and GELU for float tensors: Φ(x) = ½·erfc(−x/√2) by the Chebyshev-fitted erfc of Numerical Recipes (relative
/// error below 1.2e-7, a float's own precision), evaluated in double lanes four at a time — in double because the
/// exponent −z² would carry a float's rounding (8e-6 at the far tail) into the result.
/// </summary>
internal static class FloatGaussian
{
    private const double InverseSqrt2 = 0.7071067811865476, InverseSqrt2Pi = 0.3989422804014327;

    /// <summary>destination[i] = x[i]·Φ(x[i]).</summary>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> destination)
    {
        int i = 0;
        for (; i <= x.Length - 4; i += 4)
        {
            Vector256<double> v = Widen(x.Slice(i, 4));
            Narrow(v * Cdf(v), destination.Slice(i, 4));
        }

        for (; i < x.Length; i++)
        {
            destination[i] = x[i] * SpecialFunctions.NormalCdf(x[i]);
        }
    }

    /// <summary>destination[i] = g[i]·(Φ(x[i]) + x[i]·φ(x[i])): GELU's backward.</summary>
    public static void GeluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> destination)
    {
        int i = 0;
        for (; i <= x.Length - 4; i += 4)
        {
            Vector256<double> v = Widen(x.Slice(i, 4));
            Vector256<double> pdf = Vector256.Exp(v * v * -0.5) * InverseSqrt2Pi;
            Narrow(Widen(g.Slice(i, 4)) * (Cdf(v) + (v * pdf)), destination.Slice(i, 4));
        }

        for (; i < x.Length; i++)
        {
            destination[i] = g[i] * (SpecialFunctions.NormalCdf(x[i]) + (x[i] * SpecialFunctions.NormalPdf(x[i])));
        }
    }

    /// <summary>destination[i] = Φ(x[i]).</summary>
    public static void NormalCdf(ReadOnlySpan<float> x, Span<float> destination)
    {
        int i = 0;
        for (; i <= x.Length - 4; i += 4)
        {
            Narrow(Cdf(Widen(x.Slice(i, 4))), destination.Slice(i, 4));
        }

        for (; i < x.Length; i++)
        {
            destination[i] = SpecialFunctions.NormalCdf(x[i]);
        }
    }

    /// <summary>Φ of four doubles, the same formula as <see cref="SpecialFunctions.NormalCdf(float)"/>.</summary>
    private static Vector256<double> Cdf(Vector256<double> x)
    {
        Vector256<double> z = x * -InverseSqrt2;
        Vector256<double> t = Vector256<double>.One / (Vector256<double>.One + (Vector256.Abs(z) * 0.5));
        Vector256<double> poly = Vector256.Create(0.17087277);
        foreach (double c in (ReadOnlySpan<double>)[-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223])
        {
            poly = (poly * t) + Vector256.Create(c);
        }

        Vector256<double> erfc = t * Vector256.Exp(poly - (z * z));
        Vector256<double> positive = Vector256.GreaterThanOrEqual(z, Vector256<double>.Zero);
        return Vector256.ConditionalSelect(positive, erfc, Vector256.Create(2.0) - erfc) * 0.5;
    }

    private static Vector256<double> Widen(ReadOnlySpan<float> four)
    {
        Vector128<float> v = Vector128.Create(four);
        return Vector256.Create(Vector128.WidenLower(v), Vector128.WidenUpper(v));
    }

    private static void Narrow(Vector256<double> v, Span<float> four) => Vector128.Narrow(v.GetLower(), v.GetUpper()).CopyTo(four);
}
