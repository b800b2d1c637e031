using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Elementwise arithmetic with NumPy broadcasting. Each op computes its result and, right beside it, the rule
// that maps ∂L/∂result to ∂L/∂input (written with tensor ops, so it can itself be recorded). A rule may return
// a gradient of the broadcast shape: the sweep sums it back to each input's shape in one place.
public sealed partial class Tensor<T>
{
    /// <summary>A function from a run of inputs to a run of outputs.</summary>
    internal delegate void SpanMap(ReadOnlySpan<T> x, Span<T> destination);

    /// <summary>A function from a run of inputs and a constant to a run of outputs.</summary>
    internal delegate void SpanMapWith(ReadOnlySpan<T> x, T c, Span<T> destination);

    internal Tensor<T> Map(SpanMap f)
    {
        var data = Tensor.Uninitialized<T>(Data.Length);
        f(Data, data);
        return new(data, _shape);
    }

    /// <summary>Map with a constant passed through, so that the kernel can be a static (cached, non-allocating) lambda.</summary>
    internal Tensor<T> Map(T c, SpanMapWith f)
    {
        var data = Tensor.Uninitialized<T>(Data.Length);
        f(Data, c, data);
        return new(data, _shape);
    }

    private static Tensor<T> Broadcasted<TKernel>(Tensor<T> a, Tensor<T> b, string op, string? file, int line)
        where TKernel : IBinaryKernel<T>
    {
        int[] shape = Shapes.Broadcast(a._shape, b._shape, op, file, line);
        var data = Tensor.Uninitialized<T>(Shapes.Size(shape));
        Broadcast.Binary<T, TKernel>(a.Data, a._shape, b.Data, b._shape, data, shape);
        return new(data, shape);
    }

    /// <summary>a + b, broadcasting.</summary>
    /// <param name="other">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Add(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Broadcasted<AddKernel<T>>(this, other, nameof(Add), file, line);
        return Autograd.Record(nameof(Add), y, g => [g, g], file, line, this, other);
    }

    /// <summary>a + c.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Add(T c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(c, static (x, k, d) => TensorPrimitives.Add(x, k, d));
        return Autograd.Record(nameof(Add), y, g => [g], file, line, this).Traced("c", double.CreateChecked(c));
    }

    /// <summary>a − b, broadcasting.</summary>
    /// <param name="other">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Sub(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Broadcasted<SubtractKernel<T>>(this, other, nameof(Sub), file, line);
        return Autograd.Record(nameof(Sub), y, g => [g, g.Neg()], file, line, this, other);
    }

    /// <summary>c − a for a constant c.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> RSub(T c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(c, static (x, k, d) => TensorPrimitives.Subtract(k, x, d));
        return Autograd.Record(nameof(RSub), y, g => [g.Neg()], file, line, this).Traced("c", double.CreateChecked(c));
    }

    /// <summary>a · b elementwise, broadcasting.</summary>
    /// <param name="other">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Mul(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Broadcasted<MultiplyKernel<T>>(this, other, nameof(Mul), file, line);
        return Autograd.Record(nameof(Mul), y, g => [g.Mul(other), g.Mul(this)], file, line, this, other);
    }

    /// <summary>a · c.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Mul(T c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(c, static (x, k, d) => TensorPrimitives.Multiply(x, k, d));
        return Autograd.Record(nameof(Mul), y, g => [g.Mul(c)], file, line, this).Traced("c", double.CreateChecked(c));
    }

    /// <summary>a / b elementwise, broadcasting.</summary>
    /// <param name="other">The denominator.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Div(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Broadcasted<DivideKernel<T>>(this, other, nameof(Div), file, line);
        return Autograd.Record(nameof(Div), y, g => [g.Div(other), g.Mul(y).Div(other).Neg()], file, line, this, other);   // ∂b = −g·a/b²
    }

    /// <summary>c / a for a constant c.</summary>
    /// <param name="c">The constant numerator.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> RDiv(T c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(c, static (x, k, d) => TensorPrimitives.Divide(k, x, d));
        return Autograd.Record(nameof(RDiv), y, g => [ZeroSafe(g, y.Div(this).Neg())], file, line, this).Traced("c", double.CreateChecked(c));   // d/da c/a = −y/a
    }

    /// <summary>−a.</summary>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Neg([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(static (x, d) => TensorPrimitives.Negate(x, d));
        return Autograd.Record(nameof(Neg), y, g => [g.Neg()], file, line, this);
    }

    /// <summary>aᵖ for a constant exponent.</summary>
    /// <remarks>d/da aᵖ = p·aᵖ⁻¹; 0 everywhere for p = 0.</remarks>
    /// <param name="p">The exponent.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Pow(T p, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Map(p, static (x, k, d) => TensorPrimitives.Pow(x, k, d));
        return Autograd.Record(nameof(Pow), y, g => [T.IsZero(p) ? Tensor.ZerosLike(this) : ZeroSafe(g, Pow(p - T.One).Mul(p))], file, line, this).Traced("p", double.CreateChecked(p));
    }

    /// <summary>aᵇ elementwise, broadcasting.</summary>
    /// <remarks>∂a = b·aᵇ⁻¹, ∂b = aᵇ·ln a, taken as 0 where a = 0 and b ≥ 0 (PyTorch's convention).</remarks>
    /// <param name="exponent">The exponent.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Pow(Tensor<T> exponent, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Broadcasted<PowKernel<T>>(this, exponent, nameof(Pow), file, line);
        return Autograd.Record(nameof(Pow), y, g =>
        {
            // g·b·aᵇ⁻¹, taken as 0 where b = 0 (also at a = 0, where aᵇ⁻¹ is infinite), as PyTorch and Scalar.Pow.
            Tensor<T> zeros = Tensor.ZerosLike(y);
            Tensor<T> da = Tensor.Where(exponent.Eq(Tensor.ZerosLike(exponent)), zeros, g.Mul(exponent).Mul(Pow(exponent.Sub(Tensor.OnesLike(exponent)))));
            Tensor<T> zeroBase = Eq(Tensor.ZerosLike(this)).Mul(exponent.Ge(Tensor.ZerosLike(exponent)));
            Tensor<T> db = Tensor.Where(zeroBase, Tensor.ZerosLike(y), g.Mul(y).Mul(Log()));
            return [da, db];
        }, file, line, this, exponent);
    }

    /// <summary>max(a, b) elementwise, broadcasting.</summary>
    /// <remarks>
    /// The gradient goes to the larger; at a tie each side gets ½, and where a NaN leaves them unordered both get it
    /// (as PyTorch's <c>maximum</c>: g to each side unless the other strictly wins).
    /// </remarks>
    /// <param name="other">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Maximum(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Broadcasted<MaximumKernel<T>>(this, other, nameof(Maximum), file, line);
        return Autograd.Record(nameof(Maximum), y, g => SplitAtTies(g, Gt(other), Lt(other), Eq(other)), file, line, this, other);
    }

    /// <summary>min(a, b) elementwise, broadcasting.</summary>
    /// <remarks>The gradient goes to the smaller; at a tie each side gets ½, and both get it where a NaN leaves them unordered.</remarks>
    /// <param name="other">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Minimum(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tensor<T> y = Broadcasted<MinimumKernel<T>>(this, other, nameof(Minimum), file, line);
        return Autograd.Record(nameof(Minimum), y, g => SplitAtTies(g, Lt(other), Gt(other), Eq(other)), file, line, this, other);
    }

    /// <summary>
    /// Routes g to each side unless the other wins, and half to each at a tie: so to a where it wins, to b where b
    /// wins, and to both where neither wins nor ties (a NaN on either side), as PyTorch.
    /// </summary>
    private static Tensor<T>?[] SplitAtTies(Tensor<T> g, Tensor<T> aWins, Tensor<T> bWins, Tensor<T> tie)
    {
        Tensor<T> half = tie.Mul(T.CreateChecked(0.5));
        return [g.Mul(bWins.Add(half).RSub(T.One)), g.Mul(aWins.Add(half).RSub(T.One))];
    }

    /// <summary>a + b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor<T> operator +(Tensor<T> a, Tensor<T> b) => a.Add(b, null, 0);

    /// <summary>a + c.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="c">The constant.</param>
    public static Tensor<T> operator +(Tensor<T> a, T c) => a.Add(c, null, 0);

    /// <summary>c + a.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">The tensor.</param>
    public static Tensor<T> operator +(T c, Tensor<T> a) => a.Add(c, null, 0);

    /// <summary>a − b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor<T> operator -(Tensor<T> a, Tensor<T> b) => a.Sub(b, null, 0);

    /// <summary>a − c.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="c">The constant.</param>
    public static Tensor<T> operator -(Tensor<T> a, T c) => a.Add(-c, null, 0);

    /// <summary>c − a.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">The tensor.</param>
    public static Tensor<T> operator -(T c, Tensor<T> a) => a.RSub(c, null, 0);

    /// <summary>a · b elementwise.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Tensor<T> operator *(Tensor<T> a, Tensor<T> b) => a.Mul(b, null, 0);

    /// <summary>a · c.</summary>
    /// <param name="a">The tensor.</param>
    /// <param name="c">The constant.</param>
    public static Tensor<T> operator *(Tensor<T> a, T c) => a.Mul(c, null, 0);

    /// <summary>c · a.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">The tensor.</param>
    public static Tensor<T> operator *(T c, Tensor<T> a) => a.Mul(c, null, 0);

    /// <summary>a / b elementwise.</summary>
    /// <param name="a">The numerator.</param>
    /// <param name="b">The denominator.</param>
    public static Tensor<T> operator /(Tensor<T> a, Tensor<T> b) => a.Div(b, null, 0);

    /// <summary>a / c.</summary>
    /// <param name="a">The numerator.</param>
    /// <param name="c">The constant denominator.</param>
    public static Tensor<T> operator /(Tensor<T> a, T c) => a.Mul(T.One / c, null, 0);

    /// <summary>c / a.</summary>
    /// <param name="c">The constant numerator.</param>
    /// <param name="a">The denominator.</param>
    public static Tensor<T> operator /(T c, Tensor<T> a) => a.RDiv(c, null, 0);

    /// <summary>−a.</summary>
    /// <param name="a">The tensor.</param>
    public static Tensor<T> operator -(Tensor<T> a) => a.Neg(null, 0);
}
