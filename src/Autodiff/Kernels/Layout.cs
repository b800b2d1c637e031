using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>
/// Copies that rearrange row-major data: permuted axes, blocks along an axis (narrowing, padding, concatenating) and
/// rows picked or scattered by index. A tensor seen around one axis is (outer, extent, inner).
/// </summary>
internal static class Layout
{
    /// <summary>
    /// destination (row-major, shape <paramref name="shape"/>) [i₀, …] = source at Σ iₖ·strides[k]: a permutation of
    /// axes when the strides are the source's strides taken in the new order. An odometer walks the source offset.
    /// </summary>
    public static void Permute<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<T> destination)
    {
        int rank = shape.Length;
        if (rank > 1 && strides[^1] == 1 && shape[^1] > 1)
        {
            // The last axis stays last (heads split off or joined, [B, T, H, D] ↔ [B, H, T, D]): copy whole runs.
            PermuteRuns(source, shape, strides, destination);
            return;
        }

        Span<int> index = stackalloc int[rank];
        int at = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = source[at];
            for (int d = rank - 1; d >= 0; d--)
            {
                at += strides[d];
                if (++index[d] < shape[d])
                {
                    break;
                }

                at -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary><see cref="Permute{T}"/> when the innermost axis is contiguous in the source: one copy per run of it.</summary>
    private static void PermuteRuns<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<T> destination)
    {
        int rank = shape.Length - 1, run = shape[rank];
        Span<int> index = stackalloc int[rank];
        int at = 0;
        for (int i = 0; i < destination.Length; i += run)
        {
            source.Slice(at, run).CopyTo(destination.Slice(i, run));
            for (int d = rank - 1; d >= 0; d--)
            {
                at += strides[d];
                if (++index[d] < shape[d])
                {
                    break;
                }

                at -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// For each of <paramref name="outer"/> blocks, <paramref name="length"/> elements from
    /// source[o·sourceStride + sourceOffset] to destination[o·destinationStride + destinationOffset].
    /// </summary>
    public static void CopyBlocks<T>(ReadOnlySpan<T> source, int outer, int sourceStride, int sourceOffset, Span<T> destination, int destinationStride, int destinationOffset, int length)
    {
        for (int o = 0; o < outer; o++)
        {
            source.Slice((o * sourceStride) + sourceOffset, length).CopyTo(destination.Slice((o * destinationStride) + destinationOffset, length));
        }
    }

    /// <summary>Copies <paramref name="row"/> into each of the first <paramref name="rows"/> rows of <paramref name="destination"/>.</summary>
    public static void Tile<T>(ReadOnlySpan<T> row, int rows, Span<T> destination)
    {
        for (int i = 0; i < rows; i++)
        {
            row.CopyTo(destination.Slice(i * row.Length, row.Length));
        }
    }

    /// <summary>destination[o, j, :] = source[o, index[j], :], source seen as (outer, extent, inner).</summary>
    public static void IndexSelect<T>(ReadOnlySpan<T> source, int outer, int extent, int inner, ReadOnlySpan<int> index, Span<T> destination)
    {
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < index.Length; j++)
            {
                source.Slice(((o * extent) + index[j]) * inner, inner).CopyTo(destination.Slice(((o * index.Length) + j) * inner));
            }
        }
    }

    /// <summary>destination[o, index[j], :] += source[o, j, :], destination seen as (outer, extent, inner): IndexSelect's adjoint.</summary>
    public static void IndexAdd<T>(ReadOnlySpan<T> source, int outer, int extent, int inner, ReadOnlySpan<int> index, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < index.Length; j++)
            {
                Elementwise.AddInPlace(destination.Slice(((o * extent) + index[j]) * inner, inner), source.Slice(((o * index.Length) + j) * inner, inner));
            }
        }
    }

    /// <summary>destination[o, j, i] = source[o, index[o, j, i], i] (PyTorch's gather), source (outer, extent, inner), index (outer, k, inner).</summary>
    public static void Gather<T>(ReadOnlySpan<T> source, int extent, int k, int inner, ReadOnlySpan<int> index, Span<T> destination)
    {
        for (int p = 0; p < index.Length; p++)
        {
            int o = p / (k * inner), i = p % inner;
            destination[p] = source[(((o * extent) + index[p]) * inner) + i];
        }
    }

    /// <summary>destination[o, index[o, j, i], i] += source[o, j, i]: Gather's adjoint.</summary>
    public static void ScatterAdd<T>(ReadOnlySpan<T> source, int extent, int k, int inner, ReadOnlySpan<int> index, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int p = 0; p < index.Length; p++)
        {
            int o = p / (k * inner), i = p % inner;
            destination[(((o * extent) + index[p]) * inner) + i] += source[p];
        }
    }

    /// <summary>
    /// Each [rows, cols] matrix of <paramref name="source"/> with (i, j) kept where j − i ≤ diagonal (lower) or ≥
    /// diagonal (upper), zero elsewhere.
    /// </summary>
    public static void Triangle<T>(ReadOnlySpan<T> source, Span<T> destination, int rows, int cols, bool lower, int diagonal)
        where T : unmanaged, INumberBase<T>
    {
        int matrix = rows * cols;
        for (int at = 0; at < source.Length; at += matrix)
        {
            for (int i = 0; i < rows; i++)
            {
                // Row i keeps columns [0, i + diagonal] (lower) or [i + diagonal, cols) (upper).
                int split = Math.Clamp(lower ? i + diagonal + 1 : i + diagonal, 0, cols);
                ReadOnlySpan<T> row = source.Slice(at + (i * cols), cols);
                Span<T> into = destination.Slice(at + (i * cols), cols);
                if (lower)
                {
                    row[..split].CopyTo(into);
                    into[split..].Clear();
                }
                else
                {
                    into[..split].Clear();
                    row[split..].CopyTo(into[split..]);
                }
            }
        }
    }
}
