using System.Diagnostics.CodeAnalysis;

namespace Autodiff;

/// <summary>Shape arithmetic shared by all tensor operations: sizes, strides, broadcasting, axes, and the errors.</summary>
internal static class Shapes
{
    public static int Size(ReadOnlySpan<int> shape)
    {
        if (shape.Contains(0))
        {
            return 0; // empty, however large the other extents
        }

        long size = 1;
        foreach (int d in shape)
        {
            size *= d;
            if (size > Array.MaxLength)
            {
                ThrowTooLarge(shape); // checked per extent: the product of a few more could overflow a long
            }
        }

        return (int)size;
    }

    [DoesNotReturn]
    private static void ThrowTooLarge(ReadOnlySpan<int> shape) => throw new ArgumentException(
        $"shape {Format(shape)} has more elements than a tensor can hold ({Array.MaxLength:N0}, the limit of a .NET array); split the data into smaller tensors.");

    /// <summary>Elements between consecutive indices of dimension <paramref name="dim"/> in a contiguous tensor.</summary>
    public static int Stride(ReadOnlySpan<int> shape, int dim)
    {
        int stride = 1;
        for (int d = shape.Length - 1; d > dim; d--)
        {
            stride *= shape[d];
        }

        return stride;
    }

    public static int Offset(ReadOnlySpan<int> shape, ReadOnlySpan<int> index)
    {
        if (index.Length != shape.Length)
        {
            throw new ArgumentException($"Index: {index.Length} indices for a tensor of shape {Format(shape)}.", nameof(index));
        }

        int offset = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            int i = index[d] < 0 ? index[d] + shape[d] : index[d];
            if ((uint)i >= (uint)shape[d])
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"Index: index {index[d]} is out of range for dimension {d} of shape {Format(shape)}.");
            }

            offset = (offset * shape[d]) + i;
        }

        return offset;
    }

    public static string Format(ReadOnlySpan<int> shape) => Tensor.FormatShape(shape);

    public static string Where(string? file, int line) => file is null ? "" : $" at {Path.GetFileName(file)}:{line}";

    /// <summary>
    /// A shape error that names the operation, what is wrong, and where the operation was called — with the layer it
    /// was called in and the user's line that called the layer, when it ran inside a named scope.
    /// </summary>
    [DoesNotReturn]
    public static void Throw(string op, string message, string? file, int line)
        => throw Error(op, message, file, line);

    /// <summary>The exception <see cref="Throw"/> throws, for callers that must write <c>throw</c> themselves.</summary>
    public static ArgumentException Error(string op, string message, string? file, int line)
        => new($"{op}{Where(file, line)}{Provenance.ForError()}: {message}");

    /// <summary>The NumPy broadcast of two shapes, or null when they do not broadcast.</summary>
    public static int[]? BroadcastOrNull(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                return null;
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    /// <summary>The NumPy broadcast of two shapes: align right, each pair equal or one of them 1.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b, string op, string? file, int line)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                Throw(op, $"shapes {Format(a)} and {Format(b)} do not broadcast (dimension {i}: {da} vs {db}); aligned from the right, each pair " +
                    "of extents must be equal or one of them 1 (Reshape or Unsqueeze one operand to make it so).", file, line);
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    /// <summary>
    /// An axis of a tensor of <paramref name="shape"/> made non-negative: in [−rank, rank), or for an op that inserts an
    /// axis (<paramref name="insertion"/>, as Unsqueeze) in [−rank − 1, rank]. The error names the user's axis and shape.
    /// </summary>
    public static int Axis(int axis, ReadOnlySpan<int> shape, string op, string? file, int line, bool insertion = false)
    {
        int rank = shape.Length + (insertion ? 1 : 0);
        if (rank == 0)
        {
            Throw(op, $"a 0-d tensor has no axis {axis} (it has no axes at all); reshape it first, e.g. Reshape([1]).", file, line);
        }

        int a = axis < 0 ? axis + rank : axis;
        if ((uint)a >= (uint)rank)
        {
            string what = insertion
                ? $"inserting an axis into a tensor of shape {Format(shape)} (the result has rank {rank})"
                : $"a tensor of shape {Format(shape)} (rank {rank})";
            Throw(op, $"axis {axis} is out of range for {what}; use an axis in [{-rank}, {rank}).", file, line);
        }

        return a;
    }

    /// <summary>The sorted, distinct, non-negative axes of a tensor of <paramref name="shape"/>; all axes when <paramref name="axes"/> is empty.</summary>
    public static int[] Axes(ReadOnlySpan<int> axes, ReadOnlySpan<int> shape, string op, string? file, int line)
    {
        int rank = shape.Length;
        if (axes.IsEmpty)
        {
            return Enumerable.Range(0, rank).ToArray();
        }

        if (rank == 0)
        {
            // As PyTorch: a reduction of a 0-d tensor accepts axis 0 or −1 and reduces nothing.
            foreach (int axis in axes)
            {
                if (axis is not (0 or -1))
                {
                    Throw(op, $"axis {axis} is out of range for a 0-d tensor; a reduction of one accepts 0 or -1.", file, line);
                }
            }

            return [];
        }

        var result = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            result[i] = Axis(axes[i], shape, op, file, line);
            for (int j = 0; j < i; j++)
            {
                if (result[j] == result[i])
                {
                    Throw(op, $"axes {Format(axes)} name axis {result[i]} of a tensor of shape {Format(shape)} twice.", file, line);
                }
            }
        }

        Array.Sort(result);
        return result;
    }

    /// <summary>The shape after reducing <paramref name="axes"/>: kept as 1 or removed.</summary>
    public static int[] Reduced(ReadOnlySpan<int> shape, ReadOnlySpan<int> axes, bool keepDim)
    {
        int removed = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            removed += axes.Contains(d) ? 1 : 0;
        }

        var result = new int[keepDim ? shape.Length : shape.Length - removed];
        int r = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (!axes.Contains(d))
            {
                result[r++] = shape[d];
            }
            else if (keepDim)
            {
                result[r++] = 1;
            }
        }

        return result;
    }

    /// <summary>Splits a contiguous shape around one axis into (outer, length, inner) extents.</summary>
    public static (int Outer, int Length, int Inner) AroundAxis(ReadOnlySpan<int> shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= shape[d];
        }

        for (int d = axis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        return (outer, shape[axis], inner);
    }
}
