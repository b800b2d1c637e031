using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>
/// Dropout masks from a counter-based hash (SplitMix64's finaliser of seed + index): element i survives with
/// probability 1 − p whatever the order it is asked in, so a backward pass regenerates the forward pass's mask
/// instead of storing it, and threads can fill disjoint ranges.
/// </summary>
internal static class DropoutMask
{
    /// <summary>Whether element <paramref name="index"/> of the mask drawn from <paramref name="seed"/> survives.</summary>
    public static bool Keeps(ulong seed, long index, double p)
    {
        ulong z = seed + ((ulong)index * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) >= p;
    }

    /// <summary>destination[i] = x[i]/(1 − p) where element i survives, 0 where it is dropped (all 0 for p = 1).</summary>
    public static void Apply<T>(ReadOnlySpan<T> x, double p, ulong seed, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = p < 1 ? T.CreateChecked(1.0 / (1.0 - p)) : T.Zero;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = Keeps(seed, i, p) ? x[i] * scale : T.Zero;
        }
    }

    /// <summary>The mask itself: 1/(1 − p) where an element survives, 0 where it is dropped.</summary>
    public static void Factors<T>(double p, ulong seed, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = p < 1 ? T.CreateChecked(1.0 / (1.0 - p)) : T.Zero;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = Keeps(seed, i, p) ? scale : T.Zero;
        }
    }

    /// <summary>A 64-bit stream seed from a user's int seed (distinct seeds give unrelated masks).</summary>
    public static ulong Stream(int seed) => unchecked(((ulong)(uint)seed * 0xD1B54A32D192ED03UL) + 0x632BE59BD9B4E019UL);
}
