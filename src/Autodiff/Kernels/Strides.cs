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
}
