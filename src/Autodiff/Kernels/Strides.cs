namespace Autodiff.Kernels;

/// <summary>Strides of row-major shapes, as the broadcasting and layout kernels walk them.</summary>
internal static class Strides
{
    /// <summary>Strides of <paramref name="shape"/> seen through a broadcast to <paramref name="target"/>: 0 where repeated.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> shape, ReadOnlySpan<int> target)
    {
        var strides = new int[target.Length];
        int offset = target.Length - shape.Length;
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d + offset] = shape[d] == 1 ? 0 : stride;
            stride *= shape[d];
        }

        return strides;
    }

    /// <summary>
    /// For each index of <paramref name="target"/> in row-major order, the flat offset (in units of
    /// <paramref name="unit"/> elements) of the element of <paramref name="shape"/> that a broadcast to
    /// <paramref name="target"/> reads there: the batch offsets of a broadcasting batched product.
    /// </summary>
    public static int[] BroadcastOffsets(ReadOnlySpan<int> shape, ReadOnlySpan<int> target, int unit)
    {
        int count = 1;
        foreach (int d in target)
        {
            count *= d;
        }

        int[] strides = Broadcast(shape, target);
        var offsets = new int[count];
        Span<int> index = stackalloc int[target.Length];
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            offsets[i] = at * unit;
            for (int d = target.Length - 1; d >= 0; d--)
            {
                at += strides[d];
                if (++index[d] < target[d])
                {
                    break;
                }

                at -= strides[d] * target[d];
                index[d] = 0;
            }
        }

        return offsets;
    }
}
