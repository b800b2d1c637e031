using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Elementwise functions: each forward pass, and beside it its rule written with tensor ops. Where a fused kernel
// stands in for the rule in an eager sweep, the rule says so (Fusion.Composed ? rule : the fused kernel; see Fusion.cs).
public sealed partial class Tensor<T>
{
    /// <summary>
    /// g·local for a same-shaped local derivative, with 0 wherever g is 0 even if local is infinite or NaN there: a
    /// zero adjoint means "no dependence" (√x at x ≤ 0 behind a Where, say, must not turn into 0·∞ = NaN).
    /// </summary>
    internal static Tensor<T> ZeroSafe(Tensor<T> g, Tensor<T> local)
        => Fusion.Composed ? Tensor.Where(g.Eq(Tensor.ZerosLike(g)), Tensor.ZerosLike(g), g.Mul(local)) : Fusion.Apply<T, ZeroSafeMultiply<T>>(g, local);

    /// <summary>eˣ.</summary>
    /// <remarks>Backward: g·y, from the saved result.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Exp([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Exp(x, d));
        return Autograd.Record(nameof(Exp), y, g => [g.Mul(y)], file, line, this);
    }

    /// <summary>ln x.</summary>
    /// <remarks>Backward: g / x (0 where g is 0, whatever x).</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Log([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Log(x, d));
        return Autograd.Record(nameof(Log), y, g => [ZeroSafe(g, RDiv(T.One))], file, line, this);
    }

    /// <summary>√x.</summary>
    /// <remarks>Backward: g / (2y), from the saved result (0 where g is 0, so no NaN from x ≤ 0 off the path).</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Sqrt([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Sqrt(x, d));
        return Autograd.Record(nameof(Sqrt), y, g => [ZeroSafe(g, y.Mul(T.CreateChecked(2)).RDiv(T.One))], file, line, this);
    }

    /// <summary>sin x.</summary>
    /// <remarks>Backward: g·cos x.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Sin([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Sin(x, d));
        return Autograd.Record(nameof(Sin), y, g => [g.Mul(Cos())], file, line, this);
    }

    /// <summary>cos x.</summary>
    /// <remarks>Backward: −g·sin x.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Cos([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Cos(x, d));
        return Autograd.Record(nameof(Cos), y, g => [g.Mul(Sin()).Neg()], file, line, this);
    }

    /// <summary>tan x.</summary>
    /// <remarks>Backward: g·(1 + y²), from the saved result.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Tan([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Tan(x, d));
        return Autograd.Record(nameof(Tan), y, g => [g.Mul(y.Mul(y).Add(T.One))], file, line, this);
    }

    /// <summary>|x|.</summary>
    /// <remarks>Backward: g·sign(x), with sign(0) = 0 (the subgradient 0 at the kink).</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Abs([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Abs(x, d));
        return Autograd.Record(nameof(Abs), y, g => [g.Mul(Sign())], file, line, this);
    }

    /// <summary>−1, 0 or 1 by the sign of each element (not differentiable: its derivative is 0 almost everywhere).</summary>
    public Tensor<T> Sign() => Map(static (x, d) => Pointwise.Sign(x, d)).Kept().TracedAs(nameof(Sign), null, 0, this);

    /// <summary>tanh x.</summary>
    /// <remarks>Backward: g·(1 − y²), fused (note 004's 1 + tanh² is a slip).</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Tanh([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Tanh(x, d));
        return Autograd.Record(nameof(Tanh), y, g => [Fusion.Composed ? g.Mul(y.Mul(y).RSub(T.One)) : Fusion.Apply<T, TanhBackward<T>>(g, y)], file, line, this);
    }

    /// <summary>The logistic function 1 / (1 + e⁻ˣ).</summary>
    /// <remarks>Backward: g·y·(1 − y), fused.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Sigmoid([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => Pointwise.Sigmoid(x, d));
        return Autograd.Record(nameof(Sigmoid), y, g => [Fusion.Composed ? g.Mul(y).Mul(y.RSub(T.One)) : Fusion.Apply<T, SigmoidBackward<T>>(g, y)], file, line, this);
    }

    /// <summary>max(x, 0).</summary>
    /// <remarks>Backward: 0 where x ≤ 0, else g — ReLU′(0) = 0, as PyTorch and note 001; a NaN passes g, as PyTorch.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Relu([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Max(x, T.Zero, d));
        return Autograd.Record(nameof(Relu), y, g => [Fusion.Composed ? g.Mul(Le(Tensor.ZerosLike(this)).RSub(T.One)) : Fusion.Apply<T, ReluBackward<T>>(g, this)], file, line, this);
    }

    /// <summary>x for x &gt; 0, slope·x otherwise.</summary>
    /// <remarks>Backward: g where x &gt; 0, slope·g otherwise (slope at 0, as PyTorch).</remarks>
    /// <param name="slope">The slope for x ≤ 0; PyTorch's default 0.01.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> LeakyRelu(double slope = 0.01, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        T s = T.CreateChecked(slope);
        Tensor<T> y = Map(s, static (x, s, d) => Pointwise.LeakyRelu(x, s, d));
        return Autograd.Record(nameof(LeakyRelu), y, g =>
        {
            Tensor<T> positive = Gt(Tensor.ZerosLike(this));
            return [g.Mul(positive.Mul(T.One - s).Add(s))];
        }, file, line, this).Traced("slope", slope);
    }

    /// <summary>The exact GELU x·Φ(x), Φ the standard normal CDF (from the engine's own erfc).</summary>
    /// <remarks>Backward: g·(Φ(x) + x·φ(x)), from recorded Φ and φ, so that its second derivative is right too.</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Gelu([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => Pointwise.Gelu(x, d));
        return Autograd.Record(nameof(Gelu), y, g => [Fusion.Composed
            ? g.Mul(NormalCdf(file, line).Add(Mul(NormalPdf(file, line), file, line), file, line), file, line)
            : Fusion.GeluBackward(g, this)], file, line, this);
    }

    /// <summary>Φ(x), the standard normal CDF, as a recorded op (backward g·φ(x)): a piece of Gelu's rule.</summary>
    private Tensor<T> NormalCdf(string? file, int line)
    {
        Tensor<T> y = Map(static (x, d) => Pointwise.NormalCdf(x, d));
        return Autograd.Record(nameof(NormalCdf), y, g => [g.Mul(NormalPdf(file, line), file, line)], file, line, this);
    }

    /// <summary>φ(x) = exp(−x²/2)/√(2π) from recorded ops.</summary>
    private Tensor<T> NormalPdf(string? file, int line)
        => Mul(this, file, line).Mul(T.CreateChecked(-0.5), file, line).Exp(file, line).Mul(T.CreateChecked(1 / Math.Sqrt(2 * Math.PI)), file, line);

    /// <summary>softplus(x) = ln(1 + eˣ), as max(x, 0) + log1p(e^−|x|): no overflow, no lost tail.</summary>
    /// <remarks>Backward: g·σ(x).</remarks>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Softplus([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => Pointwise.Softplus(x, d));
        return Autograd.Record(nameof(Softplus), y, g => [g.Mul(Sigmoid())], file, line, this);
    }

    /// <summary>Limits each element to [min, max].</summary>
    /// <remarks>Backward: g where min ≤ x ≤ max, else 0 (as PyTorch).</remarks>
    /// <param name="min">The lower bound.</param>
    /// <param name="max">The upper bound.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Clamp(T min, T max, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        if (min > max)
        {
            Shapes.Throw(nameof(Clamp), $"min {min} is greater than max {max}.", file, line);
        }

        Tensor<T> y = Map((x, d) => TensorPrimitives.Clamp(x, min, max, d));
        return Autograd.Record(nameof(Clamp), y, g => [g.Mul(Map((x, d) => Pointwise.InsideMask(x, min, max, d)))], file, line, this).Traced("min", double.CreateChecked(min)).Traced("max", double.CreateChecked(max));
    }
}

public static partial class Tensor
{
    /// <summary>
    /// Elementwise choice: a where <paramref name="mask"/> is non-zero, b elsewhere, broadcasting all three.
    /// </summary>
    /// <remarks>
    /// Backward selects too (g to a where the mask holds, to b elsewhere) rather than multiplying by the mask, so
    /// an infinite or NaN gradient in the branch not taken cannot leak as 0·∞ = NaN.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="mask">Non-zero where a is taken; not differentiated.</param>
    /// <param name="a">Taken where the mask holds.</param>
    /// <param name="b">Taken elsewhere.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Where<T>(Tensor<T> mask, Tensor<T> a, Tensor<T> b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int[] shape = Shapes.Broadcast(Shapes.Broadcast(mask.Shape, a.Shape, nameof(Where), file, line), b.Shape, nameof(Where), file, line);
        Tensor<T> m = mask.Detach().BroadcastTo(shape), x = a.Detach().BroadcastTo(shape), z = b.Detach().BroadcastTo(shape);
        var data = Tensor.Uninitialized<T>(m.Size);
        Pointwise.Select<T>(m.Span, x.Span, z.Span, data);

        var y = new Tensor<T>(data, shape);
        return Autograd.Record(nameof(Where), y, g =>
        {
            Tensor<T> zeros = ZerosLike(g);
            return [null, Where(m, g, zeros), Where(m, zeros, g)];
        }, file, line, mask.Detach(), a, b);
    }
}
