namespace Autodiff;

/// <summary>
/// How many threads the engine's kernels may use (like <c>torch.set_num_threads</c>). Stored per async flow, as
/// the current tape is, so that concurrent callers can choose differently.
/// </summary>
public static class Parallelism
{
    private static readonly AsyncLocal<int> s_maxThreads = new();

    /// <summary>The largest number of threads a kernel may use; defaults to the number of processors.</summary>
    public static int MaxThreads
    {
        get => s_maxThreads.Value > 0 ? s_maxThreads.Value : Environment.ProcessorCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            s_maxThreads.Value = value;
        }
    }

    /// <summary>Elements of work below which splitting a loop over threads costs more than it saves.</summary>
    private const long MinParallelWork = 1 << 16;

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) split into one contiguous range per
    /// thread (up to <see cref="MaxThreads"/>), or over the whole range on the caller when the work is small. Bodies
    /// must not allocate tensors: only the driving thread borrows the tape's memory.
    /// </summary>
    /// <param name="count">The number of items (images, planes, channels).</param>
    /// <param name="workPerItem">Roughly the elements touched per item, to decide whether to split.</param>
    /// <param name="body">The loop over one range.</param>
    internal static void For(int count, long workPerItem, Action<int, int> body)
    {
        int threads = Math.Min(MaxThreads, count);
        if (threads <= 1 || count * workPerItem < MinParallelWork)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t => body((int)((long)count * t / threads), (int)((long)count * (t + 1) / threads)));
    }
}
