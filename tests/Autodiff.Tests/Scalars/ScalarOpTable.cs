using FsCheck;
using FsCheck.Fluent;
using static Autodiff.Testing.Generators;

namespace Autodiff.Tests.Scalars;

/// <summary>
/// One row per scalar operation: how to call it, its plain-double reference, and the domain its arguments are
/// drawn from (kept away from kinks and singularities, where no finite difference can agree with a subgradient).
/// Every <see cref="ScalarOp"/> that computes something must appear here; a test enforces it.
/// </summary>
public sealed record ScalarOpCase(string Name, ScalarOp Op, Func<Scalar[], Scalar> Forward, Func<double[], double> Reference, Gen<double[]> Domain)
{
    public int Arity { get; init; } = 1;

    public override string ToString() => Name;
}

public static class ScalarOpTable
{
    private static Gen<double[]> One(Gen<double> g) => g.Select(x => new[] { x });

    private static Gen<double[]> Two(Gen<double> a, Gen<double> b) => Gen.Zip(a, b, (x, y) => new[] { x, y });

    /// <summary>Pairs whose members differ by at least 1e-3, for Max/Min away from ties.</summary>
    private static Gen<double[]> DistinctPair(double lo, double hi)
        => Two(Uniform(lo, hi), Uniform(lo, hi)).Where(p => Math.Abs(p[0] - p[1]) > 1e-3);

    private static ScalarOpCase Unary(string name, ScalarOp op, Func<Scalar, Scalar> f, Func<double, double> reference, Gen<double> domain)
        => new(name, op, xs => f(xs[0]), xs => reference(xs[0]), One(domain));

    private static ScalarOpCase Binary(string name, ScalarOp op, Func<Scalar, Scalar, Scalar> f, Func<double, double, double> reference, Gen<double[]> domain)
        => new(name, op, xs => f(xs[0], xs[1]), xs => reference(xs[0], xs[1]), domain) { Arity = 2 };

    public static IReadOnlyList<ScalarOpCase> All { get; } =
    [
        Binary("a + b", ScalarOp.Add, (a, b) => a + b, (a, b) => a + b, Two(Uniform(-5, 5), Uniform(-5, 5))),
        Unary("a + 2.5", ScalarOp.Add, a => a + 2.5, a => a + 2.5, Uniform(-5, 5)),
        Unary("2.5 + a", ScalarOp.Add, a => 2.5 + a, a => 2.5 + a, Uniform(-5, 5)),
        Binary("a - b", ScalarOp.Subtract, (a, b) => a - b, (a, b) => a - b, Two(Uniform(-5, 5), Uniform(-5, 5))),
        Unary("a - 2.5", ScalarOp.Subtract, a => a - 2.5, a => a - 2.5, Uniform(-5, 5)),
        Unary("2.5 - a", ScalarOp.Subtract, a => 2.5 - a, a => 2.5 - a, Uniform(-5, 5)),
        Binary("a * b", ScalarOp.Multiply, (a, b) => a * b, (a, b) => a * b, Two(Uniform(-5, 5), Uniform(-5, 5))),
        Unary("a * -1.5", ScalarOp.Multiply, a => a * -1.5, a => a * -1.5, Uniform(-5, 5)),
        Unary("-1.5 * a", ScalarOp.Multiply, a => -1.5 * a, a => -1.5 * a, Uniform(-5, 5)),
        Binary("a / b", ScalarOp.Divide, (a, b) => a / b, (a, b) => a / b, Two(Uniform(-5, 5), AwayFromZero(0.2, 5))),
        Unary("a / 3", ScalarOp.Divide, a => a / 3.0, a => a / 3.0, Uniform(-5, 5)),
        Unary("3 / a", ScalarOp.Divide, a => 3.0 / a, a => 3.0 / a, AwayFromZero(0.2, 5)),
        Unary("-a", ScalarOp.Negate, a => -a, a => -a, Uniform(-5, 5)),
        Unary("Pow(a, 2.5)", ScalarOp.Pow, a => Scalar.Pow(a, 2.5), a => Math.Pow(a, 2.5), Uniform(0.05, 4)),
        Unary("Pow(a, -3)", ScalarOp.Pow, a => Scalar.Pow(a, -3.0), a => Math.Pow(a, -3.0), AwayFromZero(0.3, 3)),
        Binary("Pow(a, b)", ScalarOp.Pow, (a, b) => Scalar.Pow(a, b), Math.Pow, Two(Uniform(0.1, 3), Uniform(-2, 2))),
        Unary("Pow(2, b)", ScalarOp.Pow, b => Scalar.Pow(2.0, b), b => Math.Pow(2.0, b), Uniform(-4, 4)),
        Unary("Exp", ScalarOp.Exp, a => Scalar.Exp(a), Math.Exp, Uniform(-10, 5)),
        Unary("Log", ScalarOp.Log, a => Scalar.Log(a), Math.Log, Uniform(0.05, 20)),
        Unary("Sqrt", ScalarOp.Sqrt, a => Scalar.Sqrt(a), Math.Sqrt, Uniform(0.05, 20)),
        Unary("Sin", ScalarOp.Sin, a => Scalar.Sin(a), Math.Sin, Uniform(-7, 7)),
        Unary("Cos", ScalarOp.Cos, a => Scalar.Cos(a), Math.Cos, Uniform(-7, 7)),
        Unary("Tan", ScalarOp.Tan, a => Scalar.Tan(a), Math.Tan, Uniform(-1.3, 1.3)),
        Unary("Tanh", ScalarOp.Tanh, a => Scalar.Tanh(a), Math.Tanh, Uniform(-8, 8)),
        Unary("Sigmoid", ScalarOp.Sigmoid, a => Scalar.Sigmoid(a), a => 1 / (1 + Math.Exp(-a)), Uniform(-30, 30)),
        Unary("Relu", ScalarOp.Relu, a => Scalar.Relu(a), a => Math.Max(a, 0), AwayFromZero(1e-3, 5)),
        Unary("LeakyRelu", ScalarOp.LeakyRelu, a => Scalar.LeakyRelu(a, 0.1), a => a > 0 ? a : 0.1 * a, AwayFromZero(1e-3, 5)),
        Unary("Abs", ScalarOp.Abs, a => Scalar.Abs(a), Math.Abs, AwayFromZero(1e-3, 5)),
        Binary("Max", ScalarOp.Max, (a, b) => Scalar.Max(a, b), Math.Max, DistinctPair(-5, 5)),
        Binary("Min", ScalarOp.Min, (a, b) => Scalar.Min(a, b), Math.Min, DistinctPair(-5, 5)),
        Unary("Softplus", ScalarOp.Softplus, a => Scalar.Softplus(a), a => Math.Log(1 + Math.Exp(a)), Uniform(-30, 30)),
        Unary("Gelu", ScalarOp.Gelu, a => Scalar.Gelu(a), a => a * NormalCdfReference(a), Uniform(-8, 8)),
        Unary("NormalCdf", ScalarOp.NormalCdf, a => Scalar.NormalCdf(a), NormalCdfReference, Uniform(-8, 8)),
        Unary("Max(a, 2.5)", ScalarOp.Max, a => Scalar.Max(a, 2.5), a => Math.Max(a, 2.5), AwayFrom(2.5, -5, 5)),
        Unary("Min(a, -1)", ScalarOp.Min, a => Scalar.Min(a, -1.0), a => Math.Min(a, -1.0), AwayFrom(-1.0, -5, 5)),
        Unary("Expm1", ScalarOp.Expm1, a => Scalar.Expm1(a), a => Math.Exp(a) - 1.0, Uniform(-10, 5)),
        Unary("Expm1 near 0", ScalarOp.Expm1, a => Scalar.Expm1(a), a => a + (a * a / 2) + (a * a * a / 6), Uniform(-1e-6, 1e-6)),
        Unary("Log1p", ScalarOp.Log1p, a => Scalar.Log1p(a), a => Math.Log(1.0 + a), Uniform(-0.9, 20)),
        Unary("Log1p near 0", ScalarOp.Log1p, a => Scalar.Log1p(a), a => a - (a * a / 2) + (a * a * a / 3), Uniform(-1e-6, 1e-6)),
        Binary("Hypot", ScalarOp.Hypot, (a, b) => Scalar.Hypot(a, b), (a, b) => Math.Sqrt((a * a) + (b * b)), Two(AwayFromZero(0.1, 5), Uniform(-5, 5))),
        Binary("Atan2(y, x)", ScalarOp.Atan2, (y, x) => Scalar.Atan2(y, x), Math.Atan2, Two(AwayFromZero(0.1, 5), Uniform(-5, 5))),
        Unary("Erf", ScalarOp.Erf, a => Scalar.Erf(a), ErfReference, Uniform(-4, 4)),
        Unary("Erfc", ScalarOp.Erfc, a => Scalar.Erfc(a), a => 1.0 - ErfReference(a), Uniform(-4, 4)),
    ];

    /// <summary>Values in [lo, hi] at least 1e-3 from <paramref name="kink"/>, for Max/Min with a constant away from ties.</summary>
    private static Gen<double> AwayFrom(double kink, double lo, double hi) => Uniform(lo, hi).Where(a => Math.Abs(a - kink) > 1e-3);

    /// <summary>erf x = 2Φ(x√2) − 1, by the same quadrature as <see cref="NormalCdfReference"/>: independent of the engine's erf.</summary>
    private static double ErfReference(double x) => (2.0 * NormalCdfReference(x * Math.Sqrt(2.0))) - 1.0;

    /// <summary>Φ(x) by Simpson's rule on the density: independent of the engine's erfc.</summary>
    private static double NormalCdfReference(double x)
    {
        // Φ(x) = ½ + ∫₀ˣ φ(t) dt; 2000 Simpson panels make the quadrature error far below the test tolerance.
        const int Panels = 2000;
        double h = x / Panels, sum = 0;
        for (int k = 0; k <= Panels; k++)
        {
            double t = k * h;
            double w = k == 0 || k == Panels ? 1 : k % 2 == 1 ? 4 : 2;
            sum += w * Math.Exp(-t * t / 2);
        }

        return 0.5 + (sum * h / 3 / Math.Sqrt(2 * Math.PI));
    }
}
