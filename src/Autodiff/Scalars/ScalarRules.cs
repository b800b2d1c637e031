using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Each scalar op's value and local partial derivatives as a function of its operands' values, written once: the
// eager op (Scalar.Sin, …) pushes what its rule returns, and a recorded function's replay (RecordedFunction) calls
// the same rule through Evaluate. The recorded partials that higher derivatives need sit beside the eager ops
// (Scalar.SinRecorded, …). Subgradients at kinks are docs/derivatives.md's: ReLU′(0) = 0, |x|′(0) = 0, ½ to each side
// of a Max/Min tie.
internal static class ScalarRules
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Add(double a, double b, out double da, out double db)
    {
        (da, db) = (1.0, 1.0);
        return a + b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Subtract(double a, double b, out double da, out double db)
    {
        (da, db) = (1.0, -1.0);
        return a - b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Multiply(double a, double b, out double da, out double db)
    {
        (da, db) = (b, a);
        return a * b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Divide(double a, double b, out double da, out double db)
    {
        double y = a / b;
        (da, db) = (1.0 / b, -y / b); // ∂/∂b = −a/b² = −y/b
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Negate(double a, out double da)
    {
        da = -1.0;
        return -a;
    }

    /// <summary>aᵇ: ∂/∂a = b·aᵇ⁻¹ (0 for b = 0, also at a = 0), ∂/∂b = aᵇ·ln a (0 where a = 0 and b ≥ 0, PyTorch's limit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Pow(double a, double b, out double da, out double db)
    {
        double y = Math.Pow(a, b);
        da = PowBasePartial(a, b);
        db = PowExponentPartial(a, b, y);
        return y;
    }

    /// <summary>aᵖ for a constant p: only the base's partial (the exponent's would cost a logarithm for nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double PowConstantExponent(double a, double p, out double da)
    {
        da = PowBasePartial(a, p);
        return Math.Pow(a, p);
    }

    /// <summary>cᵇ for a constant c: only the exponent's partial.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double PowConstantBase(double c, double b, out double db)
    {
        double y = Math.Pow(c, b);
        db = PowExponentPartial(c, b, y);
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PowBasePartial(double a, double b) => b == 0.0 ? 0.0 : b * Math.Pow(a, b - 1.0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PowExponentPartial(double a, double b, double y) => a == 0.0 && b >= 0.0 ? 0.0 : y * Math.Log(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Exp(double x, out double d)
    {
        double y = Math.Exp(x);
        d = y;
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log(double x, out double d)
    {
        d = 1.0 / x;
        return Math.Log(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sqrt(double x, out double d)
    {
        double y = Math.Sqrt(x);
        d = 0.5 / y;
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sin(double x, out double d)
    {
        (double sin, double cos) = Math.SinCos(x);
        d = cos;
        return sin;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Cos(double x, out double d)
    {
        (double sin, double cos) = Math.SinCos(x);
        d = -sin;
        return cos;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tan(double x, out double d)
    {
        double y = Math.Tan(x);
        d = 1.0 + (y * y);
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tanh(double x, out double d)
    {
        double y = Math.Tanh(x);
        d = 1.0 - (y * y);
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sigmoid(double x, out double d)
    {
        double y = Scalar.Logistic(x);
        d = y * (1.0 - y);
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Relu(double x, out double d)
    {
        d = x > 0.0 ? 1.0 : 0.0;
        return x > 0.0 ? x : 0.0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double LeakyRelu(double x, double slope, out double d)
    {
        d = x > 0.0 ? 1.0 : slope;
        return x > 0.0 ? x : slope * x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Abs(double x, out double d)
    {
        d = x > 0.0 ? 1.0 : x < 0.0 ? -1.0 : 0.0;
        return Math.Abs(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Max(double a, double b, out double da, out double db)
    {
        (da, db) = a > b ? (1.0, 0.0) : a < b ? (0.0, 1.0) : (0.5, 0.5);
        return Math.Max(a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Min(double a, double b, out double da, out double db)
    {
        (da, db) = a < b ? (1.0, 0.0) : a > b ? (0.0, 1.0) : (0.5, 0.5);
        return Math.Min(a, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Softplus(double x, out double d)
    {
        d = Scalar.Logistic(x);
        return Math.Max(x, 0.0) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(x)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Gelu(double x, out double d)
    {
        double cdf = SpecialFunctions.NormalCdf(x);
        d = cdf + (x * SpecialFunctions.NormalPdf(x));
        return x * cdf;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double NormalCdf(double x, out double d)
    {
        d = SpecialFunctions.NormalPdf(x);
        return SpecialFunctions.NormalCdf(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Expm1(double x, out double d) => SpecialFunctions.Expm1(x, out d); // d/dx = eˣ

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log1p(double x, out double d)
    {
        d = 1.0 / (1.0 + x);
        return SpecialFunctions.Log1p(x);
    }

    /// <summary>√(a² + b²): ∂ = a/y, b/y, taken as 0 at the origin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Hypot(double a, double b, out double da, out double db)
    {
        double y = double.Hypot(a, b);
        (da, db) = y == 0.0 ? (0.0, 0.0) : (a / y, b / y);
        return y;
    }

    /// <summary>atan2(y, x): ∂/∂y = x/h², ∂/∂x = −y/h² with h = hypot(x, y), taken as 0 at the origin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Atan2(double y, double x, out double dy, out double dx)
    {
        double h = double.Hypot(x, y);
        (dy, dx) = h == 0.0 ? (0.0, 0.0) : (x / h / h, -y / h / h);
        return Math.Atan2(y, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Erf(double x, out double d)
    {
        d = SpecialFunctions.ErfDerivative(x);
        return SpecialFunctions.Erf(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Erfc(double x, out double d)
    {
        d = -SpecialFunctions.ErfDerivative(x);
        return SpecialFunctions.Erfc(x);
    }

    /// <summary>
    /// An entry's value and partials from its operands' values: <paramref name="a"/> and, for a binary entry,
    /// <paramref name="b"/>; for an entry with one input, <paramref name="b"/> is its op's constant (the second operand,
    /// or the first when <paramref name="constantFirst"/>), and <paramref name="db"/> is 0.
    /// </summary>
    public static double Evaluate(ScalarOp op, bool binary, bool constantFirst, double a, double b, out double da, out double db)
    {
        db = 0.0;
        if (!binary && constantFirst)
        {
            // c − a, c / a, cᵇ: the constant is the left operand and the entry's one input the right.
            double y = op switch
            {
                ScalarOp.Subtract => Subtract(b, a, out _, out da),
                ScalarOp.Divide => Divide(b, a, out _, out da),
                ScalarOp.Pow => PowConstantBase(b, a, out da),
                _ => throw Unknown(op),
            };
            return y;
        }

        switch (op)
        {
            case ScalarOp.Add:
                return binary ? Add(a, b, out da, out db) : Add(a, b, out da, out _);
            case ScalarOp.Subtract:
                return binary ? Subtract(a, b, out da, out db) : Subtract(a, b, out da, out _);
            case ScalarOp.Multiply:
                return binary ? Multiply(a, b, out da, out db) : Multiply(a, b, out da, out _);
            case ScalarOp.Divide:
                return binary ? Divide(a, b, out da, out db) : Divide(a, b, out da, out _);
            case ScalarOp.Pow:
                return binary ? Pow(a, b, out da, out db) : PowConstantExponent(a, b, out da);
            case ScalarOp.Max:
                return binary ? Max(a, b, out da, out db) : Max(a, b, out da, out _);
            case ScalarOp.Min:
                return binary ? Min(a, b, out da, out db) : Min(a, b, out da, out _);
            case ScalarOp.Hypot:
                return Hypot(a, b, out da, out db);
            case ScalarOp.Atan2:
                return Atan2(a, b, out da, out db);
            case ScalarOp.Negate:
                return Negate(a, out da);
            case ScalarOp.LeakyRelu:
                return LeakyRelu(a, b, out da);
            case ScalarOp.Exp:
                return Exp(a, out da);
            case ScalarOp.Log:
                return Log(a, out da);
            case ScalarOp.Sqrt:
                return Sqrt(a, out da);
            case ScalarOp.Sin:
                return Sin(a, out da);
            case ScalarOp.Cos:
                return Cos(a, out da);
            case ScalarOp.Tan:
                return Tan(a, out da);
            case ScalarOp.Tanh:
                return Tanh(a, out da);
            case ScalarOp.Sigmoid:
                return Sigmoid(a, out da);
            case ScalarOp.Relu:
                return Relu(a, out da);
            case ScalarOp.Abs:
                return Abs(a, out da);
            case ScalarOp.Softplus:
                return Softplus(a, out da);
            case ScalarOp.Gelu:
                return Gelu(a, out da);
            case ScalarOp.NormalCdf:
                return NormalCdf(a, out da);
            case ScalarOp.Expm1:
                return Expm1(a, out da);
            case ScalarOp.Log1p:
                return Log1p(a, out da);
            case ScalarOp.Erf:
                return Erf(a, out da);
            case ScalarOp.Erfc:
                return Erfc(a, out da);
            default:
                throw Unknown(op);
        }
    }

    private static InvalidOperationException Unknown(ScalarOp op) => new($"RecordedFunction: the tape holds a {op} entry, which cannot be replayed.");
}
