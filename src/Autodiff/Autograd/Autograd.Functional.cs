using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff;

// The functional face (like torch.func / JAX): differentiate a function rather than a recorded tensor. Each call
// records on a tape of its own, so the caller's tapes and the .Grad of the caller's tensors are left alone.
public static partial class Autograd
{
    /// <summary>∇f(x) for a function with a one-element result.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    public static Tensor<T> Grad<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ValueAndGrad(f, x).Grad;

    /// <summary>f(x) and ∇f(x) from one forward and one backward pass.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function; its result must have one element.</param>
    /// <param name="x">The point.</param>
    public static (Tensor<T> Value, Tensor<T> Grad) ValueAndGrad<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        (Tensor<T> value, Tensor<T>[] grads) = ValueAndGrad(xs => f(xs[0]), [x]);
        return (value, grads[0]);
    }

    /// <summary>f(x₁, …, xₙ) and its gradient with respect to each argument.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function; its result must have one element.</param>
    /// <param name="xs">The arguments.</param>
    public static (Tensor<T> Value, Tensor<T>[] Grads) ValueAndGrad<T>(Func<Tensor<T>[], Tensor<T>> f, IReadOnlyList<Tensor<T>> xs)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Vjp(f, xs, null);

    /// <summary>f(x) and the vector–Jacobian product vᵀ·∂f/∂x (v has the shape of f(x)).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="v">The cotangent, shaped like f(x).</param>
    public static (Tensor<T> Value, Tensor<T> Vjp) Vjp<T>(Func<Tensor<T>, Tensor<T>> f, Tensor<T> x, Tensor<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(v);
        (Tensor<T> value, Tensor<T>[] grads) = Vjp(xs => f(xs[0]), [x], v);
        return (value, grads[0]);
    }

    /// <summary>f(x₁, …, xₙ) and vᵀ·∂f/∂xᵢ for each argument; v = null means 1 for a one-element result.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="f">The function.</param>
    /// <param name="xs">The arguments.</param>
    /// <param name="v">The cotangent, shaped like the result.</param>
    public static (Tensor<T> Value, Tensor<T>[] Vjp) Vjp<T>(Func<Tensor<T>[], Tensor<T>> f, IReadOnlyList<Tensor<T>> xs, Tensor<T>? v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(xs);
        using var tape = new Tape();
        Tensor<T>[] inputs = xs.Select(x => x.Detach().RequiresGrad()).ToArray();
        Tensor<T> y = f(inputs);
        if (v is null && y.Size != 1)
        {
            throw new InvalidOperationException($"Autograd.Grad/ValueAndGrad: f returned shape {Shapes.Format(y.Shape)}, not one element; a gradient needs a scalar function. " +
                "For a vector-valued f use Autograd.Vjp(f, x, v) (vᵀ·J for a cotangent v shaped like f(x)) or Autograd.Jacobian(f, x).");
        }

        if (!y.GradRequired)
        {
            return (y, inputs.Select(Tensor.ZerosLike).ToArray());
        }

        Tensor<T>[] grads = tape.Gradient(y, inputs, v);
        return (y.Detach(), grads);
    }

    /// <summary>
    /// A differentiable operation defined by the caller: <paramref name="forward"/> computes the result (without
    /// recording), and <paramref name="backward"/> maps (∂L/∂result, inputs, result) to ∂L/∂input for each input
    /// (null for none). Recording, broadcasting of gradients back to input shapes, and accumulation come for free.
    /// </summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="name">The op's name, shown in tape listings and errors.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="forward">Computes the result from the inputs.</param>
    /// <param name="backward">The derivative rule.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Custom<T>(
        string name,
        IReadOnlyList<Tensor<T>> inputs,
        Func<Tensor<T>[], Tensor<T>> forward,
        Func<Tensor<T>, Tensor<T>[], Tensor<T>, Tensor<T>?[]> backward,
        [CallerFilePath] string? file = null,
        [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(backward);
        Tensor<T>[] xs = [.. inputs];
        Tensor<T> y;
        using (NoGrad())
        {
            y = forward(xs.Select(x => x.Detach()).ToArray()).Detach();
        }

        return Record(name, y, g =>
        {
            Tensor<T>?[] grads = backward(g, xs, y);
            if (grads.Length != xs.Length)
            {
                Shapes.Throw(name, $"the backward rule returned {grads.Length} gradients for {xs.Length} inputs; return one per input (null for none).", file, line);
            }

            for (int i = 0; i < xs.Length; i++)
            {
                if (grads[i] is { } gi && !BroadcastsTo(xs[i].Shape, gi.Shape))
                {
                    Shapes.Throw(name, $"the backward rule returned a gradient of shape {Shapes.Format(gi.Shape)} for input {i} of shape {Shapes.Format(xs[i].Shape)}; " +
                        "return ∂L/∂input in the input's shape (or a shape the input broadcasts to).", file, line);
                }
            }

            return grads;
        }, file, line, xs);
    }

    /// <summary>Whether <paramref name="shape"/> broadcasts to exactly <paramref name="target"/> (NumPy rules).</summary>
    private static bool BroadcastsTo(ReadOnlySpan<int> shape, ReadOnlySpan<int> target)
    {
        int offset = target.Length - shape.Length;
        if (offset < 0)
        {
            return false;
        }

        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] != target[d + offset] && shape[d] != 1)
            {
                return false;
            }
        }

        return true;
    }
}
