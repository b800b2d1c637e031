namespace Autodiff;

/// <summary>
/// The seeds a checkpointed function drew on its first run, handed out again in the same order on its re-run.
/// </summary>
/// <remarks>
/// The logs in use on a thread form a stack (checkpoints nest). A seed is drawn afresh unless some log on the stack is
/// replaying, in which case the innermost such log supplies it; either way it is appended to every log above that one
/// that is recording (an inner checkpoint's first run inside an outer one's re-run records what the outer replays).
/// </remarks>
internal sealed class SeedLog(string? file, int line)
{
    [ThreadStatic]
    private static List<(SeedLog Log, bool Replaying)>? s_stack;

    private readonly List<int> _seeds = [];
    private int _next;

    /// <summary>The next seed: <paramref name="draw"/>'s, or the recorded one while a checkpoint re-runs.</summary>
    public static int Next(Func<int> draw)
    {
        List<(SeedLog Log, bool Replaying)>? stack = s_stack;
        if (stack is null || stack.Count == 0)
        {
            return draw();
        }

        int source = stack.FindLastIndex(frame => frame.Replaying);
        int seed = source >= 0 ? stack[source].Log.Take() : draw();
        for (int i = source + 1; i < stack.Count; i++)
        {
            stack[i].Log._seeds.Add(seed);
        }

        return seed;
    }

    /// <summary>Records the seeds drawn until the scope is disposed.</summary>
    public Scope Record() => Push(replaying: false);

    /// <summary>Hands out the recorded seeds, from the first, until the scope is disposed.</summary>
    public Scope Replay()
    {
        _next = 0;
        return Push(replaying: true);
    }

    private Scope Push(bool replaying)
    {
        (s_stack ??= []).Add((this, replaying));
        return new Scope(s_stack.Count - 1);
    }

    private int Take()
    {
        if (_next >= _seeds.Count)
        {
            throw new InvalidOperationException(
                $"Checkpoint: run again for the backward pass, the function drew more random seeds than the {_seeds.Count} of its first run{Shapes.Where(file, line)}; " +
                "a checkpointed function must draw the same seeds (dropout masks) every time it runs.");
        }

        return _seeds[_next++];
    }

    /// <summary>Takes the log off the stack when disposed.</summary>
    public readonly struct Scope(int depth) : IDisposable
    {
        public void Dispose() => s_stack!.RemoveRange(depth, s_stack.Count - depth);
    }
}
