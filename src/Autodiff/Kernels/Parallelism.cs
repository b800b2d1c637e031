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
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Parallelism.MaxThreads: use at least 1 thread (got {value}); Environment.ProcessorCount ({Environment.ProcessorCount}) is the default.");
            }

            s_maxThreads.Value = value;
        }
    }

    /// <summary>
    /// How long the engine's helper threads keep looking for their next piece of work after finishing one, before they
    /// sleep; defaults to 0.5 ms. Spinning keeps a helper ready for the next parallel kernel of a training step (a
    /// sleeping thread wakes late, and the caller waits for it); <see cref="TimeSpan.Zero"/> makes them sleep at once,
    /// leaving the core to other processes between kernels (what <c>OMP_WAIT_POLICY=passive</c> does for LibTorch).
    /// Process-wide; a setting in force when a helper finishes a piece applies to that wait.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or longer than one second.</exception>
    public static TimeSpan HelperSpinTime
    {
        get => Kernels.Workers.SpinTime;
        set
        {
            if (value < TimeSpan.Zero || value > TimeSpan.FromSeconds(1))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Parallelism.HelperSpinTime: use a time from 0 (sleep at once) to 1 s.");
            }

            Kernels.Workers.SpinTime = value;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) split into one contiguous range per
    /// thread (up to <see cref="MaxThreads"/>), or over the whole range on the caller when the work is small. Bodies
    /// must not allocate tensors: only the driving thread borrows the tape's memory.
    /// </summary>
    /// <param name="count">The number of items (images, planes, channels).</param>
    /// <param name="workPerItem">Roughly the elements touched per item, to decide whether to split.</param>
    /// <param name="body">The loop over one range.</param>
    internal static void For(int count, long workPerItem, Action<int, int> body) => Kernels.ParallelFor.Run(count, workPerItem, MaxThreads, body);
}
