using System.Numerics;

namespace Autodiff;

/// <summary>How <see cref="Autograd.Jacobian{T}(Func{Tensor{T}, Tensor{T}}, Tensor{T}, JacobianMode)"/> builds the Jacobian.</summary>
public enum JacobianMode
{
    /// <summary>Reverse mode when f has fewer outputs than twice its inputs, forward mode otherwise.</summary>
    Auto,

    /// <summary>One backward sweep per output element: a row of J each.</summary>
    Reverse,

    /// <summary>One Jacobian–vector product per input element: a column of J each.</summary>
    Forward,
}

// Derivatives of derivatives. The tensor rules are written with the engine's own ops, so a sweep recorded with
// createGraph is a differentiable function like any other; everything here is built from that.
//
// Forward mode (Jvp) is the double-VJP construction, not dual numbers: u ↦ Jᵀu is recorded once as a function of a
// dummy cotangent u, and differentiating ⟨Jᵀu, v⟩ with respect to u gives J·v. Dual numbers would need a second
// implementation of every op and of its forward derivative; this reuses the one set of rules that the gradient checks
// already pin down, at the price of a backward sweep of the recorded backward pass (about two passes) per product.
public static partial class Autograd
{
    /// <summary>
    /// The Hessian–vector product H·v of a function with a one-element result at x, without forming H: one
    /// recorded gradient and one sweep back through it (Pearlmutter's trick, as reverse-over-reverse).
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function; its result must have one element.</param>
    /// <param name="x">The point.</param>
    /// <param name="v">The direction, shaped like x.</param>
    public static Tensor<T> HessianVectorProduct<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, Tensor<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        CheckLike(v, x, nameof(HessianVectorProduct), "v", "x");
        using var tape = new Tape();
        Tensor<T> input = x.Detach().RequiresGrad();
        Tensor<T> gradient = RecordedGradient(tape, f, input, nameof(HessianVectorProduct));
        if (!gradient.GradRequired)
        {
            return Tensor.ZerosLike(x); // the gradient does not depend on x: f is at most linear
        }

        // H is symmetric, so the vector–Jacobian product vᵀ·∂(∇f)/∂x is H·v. (A copy when the sweep passed v through
        // unchanged: the caller's v must not be the result.)
        Tensor<T> hv = tape.Gradient(gradient, [input], v)[0];
        return ReferenceEquals(hv, v) ? hv.Clone() : hv;
    }

    /// <summary>The Hessian ∂²f/∂x∂x of a function with a one-element result, shape x.Shape ++ x.Shape (for small x).</summary>
    /// <remarks>One recorded gradient, then one sweep back through it per element of x, each giving a row.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function; its result must have one element.</param>
    /// <param name="x">The point.</param>
    public static Tensor<T> Hessian<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        using var tape = new Tape();
        Tensor<T> input = x.Detach().RequiresGrad();
        Tensor<T> gradient = RecordedGradient(tape, f, input, nameof(Hessian));
        var h = new T[x.Size * x.Size];
        if (gradient.GradRequired)
        {
            for (int i = 0; i < x.Size; i++)
            {
                tape.Gradient(gradient, [input], Unit(x, i))[0].Span.CopyTo(h.AsSpan(i * x.Size));
            }
        }

        return new Tensor<T>(h, [.. x.ShapeArray(), .. x.ShapeArray()]);
    }

    /// <summary>f(x) and the Jacobian–vector product J·v (forward mode: how f(x) moves when x moves along v).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="v">The tangent, shaped like x.</param>
    public static (Tensor<T> Value, Tensor<T> Jvp) Jvp<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, Tensor<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        CheckLike(v, x, nameof(Jvp), "v", "x");
        using var tape = new Tape();
        Tensor<T> input = x.Detach().RequiresGrad();
        Tensor<T> y = f(input);
        (Tensor<T> Vjp, Tensor<T> U)? linear = LinearisedVjp(tape, y, input);
        if (linear is not { } map)
        {
            return (y.Detach().Clone(), Tensor.Zeros<T>(y.Shape));
        }

        Tensor<T> jv = tape.Gradient(map.Vjp, [map.U], v)[0];
        return (y.Detach().Clone(), ReferenceEquals(jv, v) ? jv.Clone() : jv);
    }

    /// <summary>
    /// The Jacobian ∂f/∂x, of shape f(x).Shape ++ x.Shape, built row by row (reverse mode: one backward sweep per
    /// output element) or column by column (forward mode: one Jacobian–vector product per input element), whichever
    /// takes fewer passes (<see cref="JacobianMode.Auto"/>).
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="mode">Reverse, forward, or chosen by shape.</param>
    public static Tensor<T> Jacobian<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, JacobianMode mode = JacobianMode.Auto)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        using var tape = new Tape();
        Tensor<T> input = x.Detach().RequiresGrad();
        Tensor<T> y = f(input);
        int m = y.Size, n = x.Size;
        var j = new T[m * n];
        var jacobian = new Tensor<T>(j, [.. y.ShapeArray(), .. x.ShapeArray()]);
        if (!y.GradRequired)
        {
            return jacobian;
        }

        // A forward column costs about two passes (a sweep of the recorded backward pass), a reverse row one.
        bool forward = mode == JacobianMode.Forward || (mode == JacobianMode.Auto && 2 * n < m);
        if (!forward)
        {
            for (int row = 0; row < m; row++)
            {
                tape.Gradient(y, [input], Unit(y, row))[0].Span.CopyTo(j.AsSpan(row * n));
            }

            return jacobian;
        }

        if (LinearisedVjp(tape, y, input) is { } map)
        {
            for (int column = 0; column < n; column++)
            {
                ReadOnlySpan<T> jv = tape.Gradient(map.Vjp, [map.U], Unit(x, column))[0].Span;
                for (int row = 0; row < m; row++)
                {
                    j[(row * n) + column] = jv[row];
                }
            }
        }

        return jacobian;
    }

    /// <summary>∇f(x) recorded on <paramref name="tape"/>, so that it can be differentiated again.</summary>
    private static Tensor<T> RecordedGradient<T>(Tape tape, Func<Tensor<T>, Tensor<T>> f, Tensor<T> input, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T> y = f(input);
        if (y.Size != 1)
        {
            throw new ArgumentException($"{op}: f must return one element (a loss), but returned shape {Shapes.Format(y.Shape)}.", nameof(f));
        }

        return y.GradRequired ? tape.Gradient(y, [input], createGraph: true)[0] : Tensor.ZerosLike(input);
    }

    /// <summary>
    /// Jᵀu recorded as a function of a dummy cotangent u (a leaf that requires grad): the linear map whose derivative
    /// with respect to u, applied to v, is J·v. Null when y does not depend on x.
    /// </summary>
    private static (Tensor<T> Vjp, Tensor<T> U)? LinearisedVjp<T>(Tape tape, Tensor<T> y, Tensor<T> input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!y.GradRequired)
        {
            return null;
        }

        // Any u would do (Jᵀu is linear in it); ones rather than zeros, so that rules that skip zero gradients (the
        // zero-safe ones) take the branch whose derivative is wanted.
        Tensor<T> u = Tensor.Ones<T>(y.Shape).RequiresGrad();
        Tensor<T> vjp = tape.Gradient(y, [input], u, createGraph: true)[0];
        return vjp.GradRequired ? (vjp, u) : null; // y linear in x with no path through u: J·v is zero
    }

    /// <summary>The unit tensor shaped like <paramref name="like"/> with a one at flat index <paramref name="i"/>.</summary>
    private static Tensor<T> Unit<T>(Tensor<T> like, int i)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T> e = Tensor.Zeros<T>(like.Shape);
        e.MutableSpan()[i] = T.One;
        return e;
    }

    private static void CheckLike<T>(Tensor<T> v, Tensor<T> x, string op, string vName, string xName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(x);
        if (!v.Shape.SequenceEqual(x.Shape))
        {
            throw new ArgumentException($"{op}: {vName} has shape {Shapes.Format(v.Shape)} but {xName} has shape {Shapes.Format(x.Shape)}; they must match.", vName);
        }
    }
}
