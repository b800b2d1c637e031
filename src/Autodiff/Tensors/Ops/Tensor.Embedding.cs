using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Embedding lookup: rows of a table gathered by integer indices. Its rule scatters the gradient's rows back onto the
// table (IndexAdd, whose own rule gathers again), so repeated indices accumulate and second derivatives come free.
public static partial class Tensor
{
    /// <summary>
    /// The rows of <paramref name="weight"/> [V, D] at <paramref name="indices"/>, shaped
    /// [<paramref name="indexShape"/>…, D] (PyTorch's <c>F.embedding</c>); a flat [n] list of indices when no shape is given.
    /// </summary>
    /// <remarks>
    /// Backward: row i of g is added to row indices[i] of dW (duplicates accumulate); rows looked up at
    /// <paramref name="paddingIndex"/> get no gradient, as PyTorch's <c>padding_idx</c>.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="weight">The table, shape [V, D].</param>
    /// <param name="indices">Row indices in [0, V), row-major.</param>
    /// <param name="indexShape">The shape of the indices, e.g. [B, T]; empty for [indices.Length].</param>
    /// <param name="paddingIndex">A row whose lookups pass no gradient back, or null.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Embedding<T>(Tensor<T> weight, ReadOnlySpan<int> indices, ReadOnlySpan<int> indexShape = default, int? paddingIndex = null, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 2)
        {
            Shapes.Throw(nameof(Embedding), $"the table must have shape [V, D], got {Shapes.Format(weight.Shape)}.", file, line);
        }

        int v = weight.Shape[0], d = weight.Shape[1];
        int[] shape = indexShape.IsEmpty ? [indices.Length] : indexShape.ToArray();
        if (Shapes.Size(shape) != indices.Length)
        {
            Shapes.Throw(nameof(Embedding), $"{indices.Length} indices do not fill the index shape {Shapes.Format(shape)}.", file, line);
        }

        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)v)
            {
                Shapes.Throw(nameof(Embedding), $"index {indices[i]} (at position {i}) is out of range for a table of {v} rows; indices must lie in [0, {v}).", file, line);
            }
        }

        if (paddingIndex is int pad && (uint)pad >= (uint)v)
        {
            Shapes.Throw(nameof(Embedding), $"the padding index {pad} is not a row of a table of {v} rows.", file, line);
        }

        int[] idx = indices.ToArray();
        var y = new Tensor<T>(Uninitialized<T>(idx.Length * d), [.. shape, d]);
        Layout.IndexSelect<T>(weight.Span, 1, v, d, idx, y.Data);
        return Autograd.Record(nameof(Embedding), y, g =>
        {
            Tensor<T> rows = g.Reshape([idx.Length, d]);
            if (paddingIndex is int p)
            {
                // Zero the gradient of the lookups of the padding row before it is scattered onto the table.
                var keep = new Tensor<T>(Uninitialized<T>(idx.Length), [idx.Length, 1]);
                Pointwise.NotEqualMask(idx, p, keep.Data);
                rows = rows.Mul(keep);
            }

            return [rows.IndexAdd(0, idx, v)];
        }, file, line, weight).Traced("indices", idx).Traced("indexShape", shape);
    }
}
