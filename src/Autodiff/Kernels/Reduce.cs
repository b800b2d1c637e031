using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>The reduction a kernel applies along one axis: how to fold a whole run, and how to fold two runs.</summary>
internal interface IReduceKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Folds a contiguous run to one value.</summary>
    static abstract T Fold(ReadOnlySpan<T> x);

    /// <summary>destination[i] = combine(destination[i], x[i]).</summary>
    static abstract void Combine(ReadOnlySpan<T> x, Span<T> destination);
}

internal readonly struct SumReduce<T> : IReduceKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Fold(ReadOnlySpan<T> x) => TensorPrimitives.Sum(x);

    public static void Combine(ReadOnlySpan<T> x, Span<T> destination) => TensorPrimitives.Add(destination, x, destination);
}

internal readonly struct MaxReduce<T> : IReduceKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Fold(ReadOnlySpan<T> x) => TensorPrimitives.Max(x);

    public static void Combine(ReadOnlySpan<T> x, Span<T> destination) => TensorPrimitives.Max(destination, x, destination);
}

internal readonly struct MinReduce<T> : IReduceKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Fold(ReadOnlySpan<T> x) => TensorPrimitives.Min(x);

    public static void Combine(ReadOnlySpan<T> x, Span<T> destination) => TensorPrimitives.Min(destination, x, destination);
}

/// <summary>
/// Reduces a contiguous tensor seen as (outer, length, inner) along its middle extent. With inner = 1 each
/// output is one fold over a contiguous run; otherwise whole inner rows are combined, which keeps SIMD busy.
/// </summary>
internal static class Reduce
{
    public static void Axis<T, TKernel>(ReadOnlySpan<T> x, Span<T> destination, int outer, int length, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IReduceKernel<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                destination[o] = TKernel.Fold(x.Slice(o * length, length));
            }

            return;
        }

        for (int o = 0; o < outer; o++)
        {
            Span<T> row = destination.Slice(o * inner, inner);
            ReadOnlySpan<T> block = x.Slice(o * length * inner, length * inner);
            block[..inner].CopyTo(row);
            for (int j = 1; j < length; j++)
            {
                TKernel.Combine(block.Slice(j * inner, inner), row);
            }
        }
    }

    /// <summary>
    /// The column sums of <paramref name="rows"/> [m, n] into <paramref name="sums"/> [n], added to what is there
    /// unless <paramref name="overwrite"/>.
    /// </summary>
    public static void ColumnSums<T>(ReadOnlySpan<T> rows, int m, int n, Span<T> sums, bool overwrite)
        where T : unmanaged, INumber<T>
    {
        int first = 0;
        if (overwrite && m > 0)
        {
            rows[..n].CopyTo(sums);
            first = 1;
        }
        else if (overwrite)
        {
            sums[..n].Clear();
        }

        for (int i = first; i < m; i++)
        {
            TensorPrimitives.Add(sums, rows.Slice(i * n, n), sums);
        }
    }

    /// <summary>
    /// The index of the largest element of each (outer, ·, inner) run along the middle axis of length
    /// <paramref name="length"/> ≥ 1, the first at a tie, into <paramref name="result"/> [outer·inner].
    /// </summary>
    public static void ArgMax<T>(ReadOnlySpan<T> x, int outer, int length, int inner, Span<int> result)
        where T : unmanaged, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                T bestValue = x[(o * length * inner) + i];
                for (int j = 1; j < length; j++)
                {
                    T v = x[(((o * length) + j) * inner) + i];
                    if (v > bestValue)
                    {
                        (best, bestValue) = (j, v);
                    }
                }

                result[(o * inner) + i] = best;
            }
        }
    }
}
