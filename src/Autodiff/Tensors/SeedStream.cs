namespace Autodiff;

/// <summary>
/// A stream of seeds for the random operations of a forward pass (a dropout layer's masks): each call of
/// <see cref="Next"/> gives the next one. Layers draw their seeds through it so that a checkpointed function, run
/// again for its backward pass, sees the same seeds without moving the stream (see
/// <see cref="Autograd.Checkpoint{T}(Func{Tensor{T}, Tensor{T}}, Tensor{T}, string?, int)"/>).
/// </summary>
public sealed class SeedStream
{
    private readonly Func<int> _draw;

    /// <summary>The seeds of <c>new Random(seed).Next()</c>, one after another.</summary>
    /// <param name="seed">The seed of the stream.</param>
    public SeedStream(int seed)
    {
        var random = new Random(seed);
        _draw = random.Next;
    }

    /// <summary>The seeds <paramref name="draw"/> gives, one call each.</summary>
    /// <param name="draw">Draws the next seed.</param>
    public SeedStream(Func<int> draw)
    {
        ArgumentNullException.ThrowIfNull(draw);
        _draw = draw;
    }

    /// <summary>
    /// The next seed; while a checkpointed function runs again for its backward pass, the seed drawn at the same point
    /// of its first run, and the stream does not move.
    /// </summary>
    public int Next() => SeedLog.Next(_draw);
}
