using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Comparisons and arg-max are not differentiable: they return plain (untracked) tensors of 0/1 or indices.
public sealed partial class Tensor<T>
{
    /// <summary>1 where a = b, else 0 (broadcasting); not differentiable.</summary>
    /// <param name="other">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Eq(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Broadcasted<EqualKernel<T>>(this, other, nameof(Eq), file, line).Kept().TracedAs(nameof(Eq), file, line, this, other);

    /// <summary>1 where a &gt; b, else 0 (broadcasting); not differentiable.</summary>
    /// <param name="other">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Gt(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Broadcasted<GreaterKernel<T>>(this, other, nameof(Gt), file, line).Kept().TracedAs(nameof(Gt), file, line, this, other);

    /// <summary>1 where a &lt; b, else 0 (broadcasting); not differentiable.</summary>
    /// <param name="other">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Lt(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Broadcasted<LessKernel<T>>(this, other, nameof(Lt), file, line).Kept().TracedAs(nameof(Lt), file, line, this, other);

    /// <summary>1 where a ≥ b, else 0 (broadcasting; 0 where either is NaN, as PyTorch); not differentiable.</summary>
    /// <param name="other">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <remarks>Gt + Eq, not 1 − Lt: a NaN compares false both ways, so NaN ≥ x is 0, as in PyTorch.</remarks>
    public Tensor<T> Ge(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => OrEqual(other, () => Gt(other, file, line), nameof(Ge), file, line);

    /// <summary>1 where a ≤ b, else 0 (broadcasting; 0 where either is NaN, as PyTorch); not differentiable.</summary>
    /// <param name="other">The other operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <remarks>Lt + Eq, not 1 − Gt: a NaN compares false both ways, so NaN ≤ x is 0, as in PyTorch.</remarks>
    public Tensor<T> Le(Tensor<T> other, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => OrEqual(other, () => Lt(other, file, line), nameof(Le), file, line);

    /// <summary><paramref name="strict"/> (a strict comparison of this and <paramref name="other"/>) or equal; shapes checked first under the op's own name.</summary>
    private Tensor<T> OrEqual(Tensor<T> other, Func<Tensor<T>> strict, string op, string? file, int line)
    {
        ArgumentNullException.ThrowIfNull(other);
        _ = Shapes.Broadcast(_shape, other._shape, op, file, line);
        return strict().Add(Eq(other, file, line), file, line).Detach();
    }

    /// <summary>
    /// The index of the largest element along <paramref name="axis"/> (the first one at a tie), for every position
    /// of the other dimensions, in row-major order; e.g. the predicted class of each row of a [batch, classes] tensor.
    /// </summary>
    /// <param name="axis">The axis to search; the last one by default.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public int[] ArgMax(int axis = -1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(ArgMax), file, line);
        if (Rank == 0)
        {
            return [0];
        }

        (int outer, int length, int inner) = Shapes.AroundAxis(_shape, a);
        if (length == 0)
        {
            Shapes.Throw(nameof(ArgMax), $"axis {axis} of shape {Shapes.Format(_shape)} is empty.", file, line);
        }

        var result = new int[outer * inner];
        Reduce.ArgMax<T>(Data, outer, length, inner, result);
        return result;
    }
}
