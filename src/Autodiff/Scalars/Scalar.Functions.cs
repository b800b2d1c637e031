using System.Runtime.CompilerServices;

namespace Autodiff;

// Elementary functions of scalars. Each takes its value y and the local derivative dy/dx that the backward sweep
// multiplies the incoming adjoint by from its rule in ScalarRules (which a recorded function's replay calls too), and
// pushes both; right below it, the same partial written with recorded ops (…Recorded), which a recorded sweep
// (RecordedGradient, Hessian) uses so that the gradient can be differentiated again. Subgradients at kinks are the ones listed in docs/derivatives.md
// (ReLU′(0) = 0, |x|′(0) = 0, ½ to each side of a Max/Min tie).
public readonly partial struct Scalar
{
    /// <summary>xᵖ for a constant exponent p.</summary>
    /// <remarks>d/dx xᵖ = p·xᵖ⁻¹; for p = 0 the derivative is 0 everywhere (also at x = 0), as in PyTorch.</remarks>
    /// <param name="x">The base.</param>
    /// <param name="p">The constant exponent.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Pow(Scalar x, double p, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Pow));
        double y = ScalarRules.PowConstantExponent(x.Data, p, out double dx);
        return tape.Push(ScalarOp.Pow, y, x.Index, dx, p, constantFirst: false, file, line);
    }

    /// <summary>aᵇ for a variable exponent.</summary>
    /// <remarks>
    /// ∂/∂a = b·aᵇ⁻¹ (0 when b = 0) and ∂/∂b = aᵇ·ln a, taken as 0 where a = 0 and b ≥ 0 (the limit that
    /// PyTorch also uses) so that 0ᵇ does not produce 0·(−∞) = NaN.
    /// </remarks>
    /// <param name="a">The base.</param>
    /// <param name="b">The exponent.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Pow(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Pow));
        double y = ScalarRules.Pow(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Pow, y, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>cᵇ for a constant base c.</summary>
    /// <remarks>d/db cᵇ = cᵇ·ln c (0 where c = 0 and b ≥ 0).</remarks>
    /// <param name="c">The constant base.</param>
    /// <param name="b">The exponent.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Pow(double c, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(b, nameof(Pow));
        double y = ScalarRules.PowConstantBase(c, b.Data, out double db);
        return tape.Push(ScalarOp.Pow, y, b.Index, db, c, constantFirst: true, file, line);
    }

    /// <summary>
    /// Recorded partials of the three powers: aᵖ gives p·aᵖ⁻¹ (0 for p = 0); aᵇ gives b·aᵇ⁻¹ and y·ln a (the plain
    /// rules' zeros at a = 0 kept); cᵇ gives y·ln c (0 where c = 0 and b ≥ 0).
    /// </summary>
    internal static void PowRecorded(in RecordedEntry e)
    {
        if (e.Binary)
        {
            Scalar a = e.A, b = e.B;
            e.ToA(b.Data == 0.0 && a.Data == 0.0 ? e.G * 0.0 : e.G * (b * Pow(a, b - 1.0, file: null, line: 0)));
            e.ToB(a.Data == 0.0 && b.Data >= 0.0 ? e.G * 0.0 : e.G * (e.Y * Log(a, file: null, line: 0)));
        }
        else if (e.ConstantFirst)
        {
            if (!(e.Constant == 0.0 && e.A.Data >= 0.0))
            {
                e.ToA(e.G * e.Y * Math.Log(e.Constant));
            }
        }
        else if (e.Constant != 0.0)
        {
            e.ToA(e.G * (e.Constant * Pow(e.A, e.Constant - 1.0, file: null, line: 0)));
        }
    }

    /// <summary>eˣ.</summary>
    /// <remarks>d/dx eˣ = eˣ, the result itself.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Exp(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Exp));
        double y = ScalarRules.Exp(x.Data, out double d);
        return tape.Push(ScalarOp.Exp, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of eˣ: the result y.</summary>
    internal static void ExpRecorded(in RecordedEntry e) => e.ToA(e.G * e.Y);

    /// <summary>ln x (NaN for x &lt; 0, −∞ at 0, as IEEE 754 says).</summary>
    /// <remarks>d/dx ln x = 1/x.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Log(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Log));
        double y = ScalarRules.Log(x.Data, out double d);
        return tape.Push(ScalarOp.Log, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of ln x: 1/x.</summary>
    internal static void LogRecorded(in RecordedEntry e) => e.ToA(e.G / e.A);

    /// <summary>√x.</summary>
    /// <remarks>d/dx √x = 1/(2√x), from the saved result; +∞ at x = 0.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Sqrt(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Sqrt));
        double y = ScalarRules.Sqrt(x.Data, out double d);
        return tape.Push(ScalarOp.Sqrt, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of √x: 1/(2y).</summary>
    internal static void SqrtRecorded(in RecordedEntry e) => e.ToA(e.G * 0.5 / e.Y);

    /// <summary>sin x.</summary>
    /// <remarks>d/dx sin x = cos x.</remarks>
    /// <param name="x">The argument (radians).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Sin(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Sin));
        double y = ScalarRules.Sin(x.Data, out double d);
        return tape.Push(ScalarOp.Sin, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of sin x: cos x.</summary>
    internal static void SinRecorded(in RecordedEntry e) => e.ToA(e.G * Cos(e.A, file: null, line: 0));

    /// <summary>cos x.</summary>
    /// <remarks>d/dx cos x = −sin x.</remarks>
    /// <param name="x">The argument (radians).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Cos(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Cos));
        double y = ScalarRules.Cos(x.Data, out double d);
        return tape.Push(ScalarOp.Cos, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of cos x: −sin x.</summary>
    internal static void CosRecorded(in RecordedEntry e) => e.ToA(-(e.G * Sin(e.A, file: null, line: 0)));

    /// <summary>tan x.</summary>
    /// <remarks>d/dx tan x = 1 + tan² x, from the saved result.</remarks>
    /// <param name="x">The argument (radians).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Tan(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Tan));
        double y = ScalarRules.Tan(x.Data, out double d);
        return tape.Push(ScalarOp.Tan, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of tan x: 1 + y².</summary>
    internal static void TanRecorded(in RecordedEntry e) => e.ToA(e.G * (1.0 + (e.Y * e.Y)));

    /// <summary>tanh x.</summary>
    /// <remarks>d/dx tanh x = 1 − tanh² x (note 004 prints 1 + tanh²; that is a slip).</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Tanh(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Tanh));
        double y = ScalarRules.Tanh(x.Data, out double d);
        return tape.Push(ScalarOp.Tanh, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of tanh x: 1 − y².</summary>
    internal static void TanhRecorded(in RecordedEntry e) => e.ToA(e.G * (1.0 - (e.Y * e.Y)));

    /// <summary>The logistic function σ(x) = 1 / (1 + e⁻ˣ).</summary>
    /// <remarks>σ′(x) = σ(x)·(1 − σ(x)). Evaluated without overflow for large |x|.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Sigmoid(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Sigmoid));
        double y = ScalarRules.Sigmoid(x.Data, out double d);
        return tape.Push(ScalarOp.Sigmoid, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of σ(x): y(1 − y).</summary>
    internal static void SigmoidRecorded(in RecordedEntry e) => e.ToA(e.G * (e.Y * (1.0 - e.Y)));

    /// <summary>The rectifier max(x, 0).</summary>
    /// <remarks>ReLU′(x) = 1 for x &gt; 0 and 0 otherwise: the subgradient at 0 is 0, as in PyTorch and note 001.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Relu(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Relu));
        double y = ScalarRules.Relu(x.Data, out double d);
        return tape.Push(ScalarOp.Relu, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of ReLU: piecewise constant (1 or 0), kept a number.</summary>
    internal static void ReluRecorded(in RecordedEntry e) => e.ConstantPartials();

    /// <summary>Leaky rectifier: x for x &gt; 0, slope·x otherwise.</summary>
    /// <remarks>Derivative 1 for x &gt; 0 and slope otherwise (slope at 0, as in PyTorch).</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="slope">The slope for x ≤ 0 (PyTorch's default 0.01).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar LeakyRelu(Scalar x, double slope = 0.01, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(LeakyRelu));
        double y = ScalarRules.LeakyRelu(x.Data, slope, out double d);
        return tape.Push(ScalarOp.LeakyRelu, y, x.Index, d, slope, constantFirst: false, file, line);
    }

    /// <summary>Recorded partial of the leaky ReLU: piecewise constant (1 or the slope), kept a number.</summary>
    internal static void LeakyReluRecorded(in RecordedEntry e) => e.ConstantPartials();

    /// <summary>|x|.</summary>
    /// <remarks>d/dx |x| = sign x, with the subgradient 0 at x = 0 (as PyTorch).</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Abs(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Abs));
        double y = ScalarRules.Abs(x.Data, out double d);
        return tape.Push(ScalarOp.Abs, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of |x|: piecewise constant (the sign), kept a number.</summary>
    internal static void AbsRecorded(in RecordedEntry e) => e.ConstantPartials();

    /// <summary>The larger of two scalars.</summary>
    /// <remarks>The gradient goes to the larger operand; at a tie each gets ½ (as PyTorch's elementwise maximum).</remarks>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Max(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Max));
        double y = ScalarRules.Max(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Max, y, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>The larger of a scalar and a constant: max(a, c), a floor.</summary>
    /// <remarks>d/da max(a, c) = 1 for a &gt; c and 0 for a &lt; c; ½ at a tie, as for two scalars.</remarks>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Max(Scalar a, double c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Max));
        double y = ScalarRules.Max(a.Data, c, out double da, out _);
        return tape.Push(ScalarOp.Max, y, a.Index, da, c, constantFirst: false, file, line);
    }

    /// <summary>Recorded partials of Max (of two scalars, or of a scalar and a constant): piecewise constant (1, 0 or ½), kept numbers.</summary>
    internal static void MaxRecorded(in RecordedEntry e) => e.ConstantPartials();

    /// <summary>The smaller of two scalars.</summary>
    /// <remarks>The gradient goes to the smaller operand; at a tie each gets ½.</remarks>
    /// <param name="a">One operand.</param>
    /// <param name="b">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Min(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Min));
        double y = ScalarRules.Min(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Min, y, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>The smaller of a scalar and a constant: min(a, c), a cap.</summary>
    /// <remarks>d/da min(a, c) = 1 for a &lt; c and 0 for a &gt; c; ½ at a tie, as for two scalars.</remarks>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Min(Scalar a, double c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Min));
        double y = ScalarRules.Min(a.Data, c, out double da, out _);
        return tape.Push(ScalarOp.Min, y, a.Index, da, c, constantFirst: false, file, line);
    }

    /// <summary>Recorded partials of Min (of two scalars, or of a scalar and a constant): piecewise constant (1, 0 or ½), kept numbers.</summary>
    internal static void MinRecorded(in RecordedEntry e) => e.ConstantPartials();

    /// <summary>softplus(x) = ln(1 + eˣ).</summary>
    /// <remarks>
    /// Evaluated as max(x, 0) + ln(1 + e^−|x|), which neither overflows for large x nor loses the tiny
    /// result for very negative x. d/dx softplus x = σ(x).
    /// </remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Softplus(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Softplus));
        double y = ScalarRules.Softplus(x.Data, out double d);
        return tape.Push(ScalarOp.Softplus, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of softplus: σ(x).</summary>
    internal static void SoftplusRecorded(in RecordedEntry e) => e.ToA(e.G * Sigmoid(e.A, file: null, line: 0));

    /// <summary>The exact Gaussian error linear unit GELU(x) = x·Φ(x), Φ the standard normal CDF.</summary>
    /// <remarks>d/dx x·Φ(x) = Φ(x) + x·φ(x), φ the standard normal density. Φ comes from the engine's own erfc.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Gelu(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Gelu));
        double y = ScalarRules.Gelu(x.Data, out double d);
        return tape.Push(ScalarOp.Gelu, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of GELU: Φ(x) + x·φ(x), with a recorded Φ.</summary>
    internal static void GeluRecorded(in RecordedEntry e) => e.ToA(e.G * (NormalCdf(e.A, file: null, line: 0) + (e.A * NormalPdf(e.A))));

    /// <summary>Φ(x), the standard normal cumulative distribution function (PyTorch's <c>special.ndtr</c>).</summary>
    /// <remarks>d/dx Φ(x) = φ(x) = e^(−x²/2)/√(2π). Also the piece that makes GELU twice differentiable on a recorded sweep.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar NormalCdf(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(NormalCdf));
        double y = ScalarRules.NormalCdf(x.Data, out double d);
        return tape.Push(ScalarOp.NormalCdf, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of Φ(x): φ(x).</summary>
    internal static void NormalCdfRecorded(in RecordedEntry e) => e.ToA(e.G * NormalPdf(e.A));

    /// <summary>eˣ − 1, accurate also for tiny x, where <c>Exp(x) − 1</c> loses every digit (1e-17 gives 0).</summary>
    /// <remarks>d/dx (eˣ − 1) = eˣ, taken from the same exponential (not y + 1, which is 0 where y rounds to −1).</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Expm1(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Expm1));
        double y = ScalarRules.Expm1(x.Data, out double d);
        return tape.Push(ScalarOp.Expm1, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of eˣ − 1: eˣ, recorded.</summary>
    internal static void Expm1Recorded(in RecordedEntry e) => e.ToA(e.G * Exp(e.A, file: null, line: 0));

    /// <summary>ln(1 + x), accurate also for tiny x, where <c>Log(1 + x)</c> loses every digit.</summary>
    /// <remarks>d/dx ln(1 + x) = 1/(1 + x). NaN for x &lt; −1, −∞ at −1.</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Log1p(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Log1p));
        double y = ScalarRules.Log1p(x.Data, out double d);
        return tape.Push(ScalarOp.Log1p, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of ln(1 + x): 1/(1 + x).</summary>
    internal static void Log1pRecorded(in RecordedEntry e) => e.ToA(e.G / (e.A + 1.0));

    /// <summary>√(a² + b²) without overflow or underflow in the squares (<see cref="double.Hypot(double, double)"/>).</summary>
    /// <remarks>∂/∂a = a/y, ∂/∂b = b/y; at a = b = 0, where the function has a cone point, both are taken as 0 (as |x|′(0) = 0).</remarks>
    /// <param name="a">One side.</param>
    /// <param name="b">The other side.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Hypot(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Hypot));
        double h = ScalarRules.Hypot(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Hypot, h, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>Recorded partials of √(a² + b²): a/y and b/y (0 at the origin, as the plain rule).</summary>
    internal static void HypotRecorded(in RecordedEntry e)
    {
        if (e.Y.Data != 0.0)
        {
            e.ToA(e.G * e.A / e.Y);
            e.ToB(e.G * e.B / e.Y);
        }
    }

    /// <summary>atan2(y, x): the angle of the point (x, y) from the positive x-axis, in (−π, π] (<see cref="Math.Atan2"/>).</summary>
    /// <remarks>
    /// ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²), computed as (x/h)/h with h = hypot(x, y) so that the squares cannot
    /// overflow; both 0 at the origin. The angle jumps by 2π across the negative x-axis, where no derivative exists.
    /// </remarks>
    /// <param name="y">The ordinate (first, as in <see cref="Math.Atan2"/>).</param>
    /// <param name="x">The abscissa.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Atan2(Scalar y, Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(y, x, nameof(Atan2));
        double angle = ScalarRules.Atan2(y.Data, x.Data, out double dy, out double dx);
        return tape.Push(ScalarOp.Atan2, angle, y.Index, dy, x.Index, dx, file, line);
    }

    /// <summary>Recorded partials of atan2(y, x): x/(x² + y²) and −y/(x² + y²) (0 at the origin, as the plain rule).</summary>
    internal static void Atan2Recorded(in RecordedEntry e)
    {
        Scalar y = e.A, x = e.B;
        if (y.Data != 0.0 || x.Data != 0.0)
        {
            Scalar r2 = (x * x) + (y * y);
            e.ToA(e.G * x / r2);
            e.ToB(-(e.G * y) / r2);
        }
    }

    /// <summary>The error function erf x = (2/√π)∫₀ˣ e^(−t²) dt, from the engine's own implementation (accurate to ~5e-16).</summary>
    /// <remarks>d/dx erf x = (2/√π)·e^(−x²).</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Erf(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Erf));
        double y = ScalarRules.Erf(x.Data, out double d);
        return tape.Push(ScalarOp.Erf, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of erf: (2/√π)·e^(−x²), recorded.</summary>
    internal static void ErfRecorded(in RecordedEntry e) => e.ToA(e.G * ErfDerivative(e.A));

    /// <summary>The complementary error function erfc x = 1 − erf x, accurate far into the right tail (where 1 − erf x is 0).</summary>
    /// <remarks>d/dx erfc x = −(2/√π)·e^(−x²).</remarks>
    /// <param name="x">The argument.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Erfc(Scalar x, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(x, nameof(Erfc));
        double y = ScalarRules.Erfc(x.Data, out double d);
        return tape.Push(ScalarOp.Erfc, y, x.Index, d, file, line);
    }

    /// <summary>Recorded partial of erfc: −(2/√π)·e^(−x²), recorded.</summary>
    internal static void ErfcRecorded(in RecordedEntry e) => e.ToA(-(e.G * ErfDerivative(e.A)));

    /// <summary>(2/√π)·e^(−x²), recorded.</summary>
    private static Scalar ErfDerivative(Scalar x) => Exp(-(x * x), file: null, line: 0) * 1.1283791670955126;

    /// <summary>φ(x) = e^(−x²/2)/√(2π), recorded.</summary>
    private static Scalar NormalPdf(Scalar x) => Exp(x * x * -0.5, file: null, line: 0) * 0.3989422804014327;

    /// <summary>σ(x) in the form that cannot overflow: e^−x is only taken for x ≥ 0.</summary>
    internal static double Logistic(double x)
    {
        if (x >= 0.0)
        {
            return 1.0 / (1.0 + Math.Exp(-x));
        }

        double e = Math.Exp(x);
        return e / (1.0 + e);
    }
}
