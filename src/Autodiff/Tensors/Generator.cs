namespace Autodiff;

/// <summary>
/// The process-wide source of seeds for everything that is not given one — layers' initial weights, dropout masks,
/// shuffling — as PyTorch's default generator is (<c>torch.manual_seed</c>): two layers made without a seed differ,
/// and a program that makes them in the same order gets the same values on every run.
/// </summary>
/// <remarks>
/// Named <c>Generator</c> (torch.Generator), not <c>Random</c>, so that <c>using Autodiff;</c> does not make
/// <see cref="System.Random"/> ambiguous in user code. Every API that takes a seed still takes one: an explicit seed
/// never touches this stream. Thread-safe; the seeds drawn from several threads at once are in no defined order.
/// </remarks>
public static class Generator
{
    /// <summary>The seed the stream starts from before any <see cref="ManualSeed"/>: PyTorch's default (67280421310721).</summary>
    public const long DefaultSeed = 67280421310721;

    private static readonly Lock s_gate = new();
    private static long s_initialSeed = DefaultSeed;
    private static ulong s_state = DefaultSeed;

    /// <summary>The seed of the stream: <see cref="DefaultSeed"/>, or the last <see cref="ManualSeed"/>.</summary>
    public static long InitialSeed
    {
        get
        {
            lock (s_gate)
            {
                return s_initialSeed;
            }
        }
    }

    /// <summary>Restarts the stream from <paramref name="seed"/> (<c>torch.manual_seed</c>).</summary>
    /// <param name="seed">Any value; the same seed gives the same sequence of seeds.</param>
    public static void ManualSeed(long seed)
    {
        lock (s_gate)
        {
            (s_initialSeed, s_state) = (seed, unchecked((ulong)seed));
        }
    }

    private static readonly Func<int> s_draw = Draw;

    /// <summary>The next seed of the stream (for an API that was not given one).</summary>
    /// <remarks>While a checkpointed function runs again for its backward pass, this returns the seed drawn at the same point of its first run and leaves the stream where it is (see <see cref="Autograd.Checkpoint{T}(Func{Tensor{T}, Tensor{T}}, Tensor{T}, string?, int)"/>).</remarks>
    public static int NextSeed() => SeedLog.Next(s_draw);

    private static int Draw()
    {
        lock (s_gate)
        {
            // SplitMix64 (Steele, Lea and Flood): consecutive states a Weyl step apart, each mixed into a well-spread
            // output, so that neighbouring seeds (a layer's weight and its bias) share nothing.
            ulong z = s_state = unchecked(s_state + 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            return unchecked((int)((z ^ (z >> 31)) >> 32));
        }
    }
}
