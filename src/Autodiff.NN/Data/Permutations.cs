namespace Autodiff.NN.Data;

/// <summary>Seeded random permutations that depend only on (seed, stream), never on the runtime's generator.</summary>
/// <remarks>
/// SplitMix64 with Fisher–Yates: the order a seed gives is fixed by this file, so a shuffle repeats across .NET
/// versions and machines, and each stream (an epoch, a split) of one seed is independent of the others.
/// </remarks>
internal static class Permutations
{
    /// <summary>A permutation of 0 … n − 1 drawn from the stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static int[] Shuffled(int n, int seed, long stream)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        // Mixing the seed and stream through the generator once keeps neighbouring seeds or epochs from
        // starting in correlated states.
        var random = new SplitMix64(((ulong)(uint)seed << 32) ^ (ulong)stream);
        random = new SplitMix64(random.Next() ^ (ulong)stream);
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Below(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    private struct SplitMix64(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            _state += 0x9E3779B97F4A7C15UL;
            ulong z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        // The high half of a 64×32-bit product: uniform on [0, bound) up to a bias below bound / 2⁶⁴.
        public int Below(int bound) => (int)Math.BigMul(Next(), (ulong)bound, out _);
    }
}
