using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>Gathers and scatters by flat indices: max pooling's backward and its adjoint.</summary>
internal static class Indexed
{
    /// <summary>destination[at[i]] += source[i] for every i (repeated indices accumulate).</summary>
    public static void ScatterAdd<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> at, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < at.Length; i++)
        {
            destination[at[i]] += source[i];
        }
    }

    /// <summary>destination[i] = source[at[i]] for every i.</summary>
    public static void Gather<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> at, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < at.Length; i++)
        {
            destination[i] = source[at[i]];
        }
    }
}
