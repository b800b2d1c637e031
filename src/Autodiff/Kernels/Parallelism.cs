using System.Runtime.ExceptionServices;

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

        new RangeLoop(count, threads, body).Run();
    }

    /// <summary>
    /// One parallel loop: its ranges are claimed one at a time by the caller and by the engine's helper threads
    /// (<see cref="Kernels.Workers"/>), so a helper that starts late, or never, only leaves more to the caller.
    /// </summary>
    private sealed class RangeLoop(int count, int parts, Action<int, int> body) : IThreadPoolWorkItem
    {
        private int _next = -1;
        private int _finished;
        private Exception? _failure;

        public void Run()
        {
            for (int i = 1; i < parts; i++)
            {
                Kernels.Workers.Queue(this);
            }

            Execute();
            SpinWait spinner = default;
            while (Volatile.Read(ref _finished) < parts && !spinner.NextSpinWillYield)
            {
                spinner.SpinOnce();
            }

            lock (this)
            {
                while (Volatile.Read(ref _finished) < parts)
                {
                    Monitor.Wait(this);
                }
            }

            if (_failure is not null)
            {
                ExceptionDispatchInfo.Capture(_failure).Throw();
            }
        }

        /// <summary>Claims and runs ranges until none is left; a helper that comes after the end finds none.</summary>
        public void Execute()
        {
            int part;
            while ((part = Interlocked.Increment(ref _next)) < parts)
            {
                try
                {
                    body((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _failure, e, null);
                }

                if (Interlocked.Increment(ref _finished) == parts)
                {
                    lock (this)
                    {
                        Monitor.PulseAll(this);
                    }
                }
            }
        }
    }
}
