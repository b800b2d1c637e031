using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// A binary elementwise kernel in the three forms a broadcast needs: two runs, a run and a repeated value, a
/// repeated value and a run. Each form delegates to the matching <see cref="TensorPrimitives"/> overload.
/// </summary>
internal interface IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination);

    static abstract void Run(ReadOnlySpan<T> x, T y, Span<T> destination);

    static abstract void Run(T x, ReadOnlySpan<T> y, Span<T> destination);

    static abstract T Invoke(T x, T y);
}

/// <summary>destination[i] = x[i] + y[i].</summary>
internal readonly struct AddKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Add(x, y, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Add(x, y, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Add(y, x, destination);

    public static T Invoke(T x, T y) => x + y;
}

/// <summary>destination[i] = x[i] − y[i].</summary>
internal readonly struct SubtractKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Subtract(x, y, destination);

    public static T Invoke(T x, T y) => x - y;
}

/// <summary>destination[i] = x[i] · y[i].</summary>
internal readonly struct MultiplyKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Multiply(x, y, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Multiply(x, y, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Multiply(y, x, destination);

    public static T Invoke(T x, T y) => x * y;
}

/// <summary>destination[i] = x[i] / y[i].</summary>
internal readonly struct DivideKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Divide(x, y, destination);

    public static T Invoke(T x, T y) => x / y;
}

/// <summary>destination[i] = x[i]^y[i].</summary>
internal readonly struct PowKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Pow(x, y, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Pow(x, y, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Pow(x, y, destination);

    public static T Invoke(T x, T y) => T.Pow(x, y);
}

/// <summary>destination[i] = max(x[i], y[i]) (NaN if either is NaN).</summary>
internal readonly struct MaximumKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Max(x, y, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Max(x, y, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Max(y, x, destination);

    public static T Invoke(T x, T y) => T.Max(x, y);
}

/// <summary>destination[i] = min(x[i], y[i]) (NaN if either is NaN).</summary>
internal readonly struct MinimumKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Min(x, y, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => TensorPrimitives.Min(x, y, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => TensorPrimitives.Min(y, x, destination);

    public static T Invoke(T x, T y) => T.Min(x, y);
}

/// <summary>destination[i] = x[i]: used with a dummy y to materialise a broadcast.</summary>
internal readonly struct FirstKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => x.CopyTo(destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => x.CopyTo(destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => destination.Fill(x);

    public static T Invoke(T x, T y) => x;
}

/// <summary>
/// Elementwise comparisons as 0/1 masks; and the scalar fallbacks the broadcasting driver needs for them.
/// </summary>
internal readonly struct EqualKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] == y[i] ? T.One : T.Zero;
        }
    }

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] == y ? T.One : T.Zero;
        }
    }

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => Run(y, x, destination);

    public static T Invoke(T x, T y) => x == y ? T.One : T.Zero;
}

/// <summary>1 where x &gt; y, else 0.</summary>
internal readonly struct GreaterKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] > y[i] ? T.One : T.Zero;
        }
    }

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] > y ? T.One : T.Zero;
        }
    }

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x > y[i] ? T.One : T.Zero;
        }
    }

    public static T Invoke(T x, T y) => x > y ? T.One : T.Zero;
}

/// <summary>1 where x &lt; y, else 0.</summary>
internal readonly struct LessKernel<T> : IBinaryKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static void Run(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination) => GreaterKernel<T>.Run(y, x, destination);

    public static void Run(ReadOnlySpan<T> x, T y, Span<T> destination) => GreaterKernel<T>.Run(y, x, destination);

    public static void Run(T x, ReadOnlySpan<T> y, Span<T> destination) => GreaterKernel<T>.Run(y, x, destination);

    public static T Invoke(T x, T y) => x < y ? T.One : T.Zero;
}

/// <summary>
/// Runs a binary kernel over two tensors with NumPy broadcasting: the output is walked with an odometer over all
/// but the innermost (coalesced) dimension, and each innermost run goes to the kernel in one call.
/// </summary>
internal static class Broadcast
{
    public static void Binary<T, TKernel>(ReadOnlySpan<T> a, ReadOnlySpan<int> aShape, ReadOnlySpan<T> b, ReadOnlySpan<int> bShape, Span<T> destination, ReadOnlySpan<int> shape)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IBinaryKernel<T>
    {
        if (aShape.SequenceEqual(shape) && bShape.SequenceEqual(shape))
        {
            TKernel.Run(a, b, destination);
            return;
        }

        if (a.Length == 1 && destination.Length == b.Length)
        {
            TKernel.Run(a[0], b, destination);
            return;
        }

        if (b.Length == 1 && destination.Length == a.Length)
        {
            TKernel.Run(a, b[0], destination);
            return;
        }

        (int[] dims, int[] sa, int[] sb) = Coalesce(shape, Strides.Broadcast(aShape, shape), Strides.Broadcast(bShape, shape));
        int rank = dims.Length;
        int inner = dims[rank - 1], ia = sa[rank - 1], ib = sb[rank - 1];
        Span<int> index = stackalloc int[rank];
        int offA = 0, offB = 0;
        for (int offD = 0; offD < destination.Length; offD += inner)
        {
            Span<T> run = destination.Slice(offD, inner);
            if (ia != 0 && ib != 0)
            {
                TKernel.Run(a.Slice(offA, inner), b.Slice(offB, inner), run);
            }
            else if (ia != 0)
            {
                TKernel.Run(a.Slice(offA, inner), b[offB], run);
            }
            else if (ib != 0)
            {
                TKernel.Run(a[offA], b.Slice(offB, inner), run);
            }
            else
            {
                run.Fill(TKernel.Invoke(a[offA], b[offB]));
            }

            // Advance the odometer over the outer dimensions.
            for (int d = rank - 2; d >= 0; d--)
            {
                offA += sa[d];
                offB += sb[d];
                if (++index[d] < dims[d])
                {
                    break;
                }

                offA -= sa[d] * dims[d];
                offB -= sb[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// Merges neighbouring dimensions that are contiguous for both operands, and drops size-1 dimensions, so that
    /// the innermost run is as long as possible.
    /// </summary>
    private static (int[] Dims, int[] StridesA, int[] StridesB) Coalesce(ReadOnlySpan<int> shape, int[] sa, int[] sb)
    {
        var dims = new List<int>();
        var ra = new List<int>();
        var rb = new List<int>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1)
            {
                continue;
            }

            int last = dims.Count - 1;
            if (last >= 0 && ra[last] == sa[d] * shape[d] && rb[last] == sb[d] * shape[d])
            {
                dims[last] *= shape[d];
                ra[last] = sa[d];
                rb[last] = sb[d];
            }
            else
            {
                dims.Add(shape[d]);
                ra.Add(sa[d]);
                rb.Add(sb[d]);
            }
        }

        if (dims.Count == 0)
        {
            return ([1], [0], [0]);
        }

        return ([.. dims], [.. ra], [.. rb]);
    }
}

/// <summary>Small in-place helpers for accumulating gradients.</summary>
internal static class Elementwise
{
    /// <summary>destination[i] += source[i].</summary>
    public static void AddInPlace<T>(Span<T> destination, ReadOnlySpan<T> source)
        where T : unmanaged, IFloatingPointIeee754<T>
        => TensorPrimitives.Add(destination, source, destination);
}
