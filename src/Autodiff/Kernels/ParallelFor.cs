using System.Runtime.ExceptionServices;

namespace Autodiff.Kernels;

/// <summary>A loop split into contiguous ranges, run by the caller and the engine's helper threads.</summary>
internal static class ParallelFor
{
    /// <summary>Elements of work below which splitting a loop over threads costs more than it saves.</summary>
    private const long MinParallelWork = 1 << 16;

    /// <summary>
    /// Runs <paramref name="body"/>(start, end) over [0, <paramref name="count"/>) split into one contiguous range per
    /// thread (up to <paramref name="maxThreads"/>), or over the whole range on the caller when the work is small. Bodies
    /// must not allocate tensors: only the driving thread borrows the tape's memory.
    /// </summary>
    /// <param name="count">The number of items (images, planes, channels).</param>
    /// <param name="workPerItem">Roughly the elements touched per item, to decide whether to split.</param>
    /// <param name="maxThreads">The most threads to use (<see cref="Parallelism.MaxThreads"/> for the engine's ops).</param>
    /// <param name="body">The loop over one range.</param>
    public static void Run(int count, long workPerItem, int maxThreads, Action<int, int> body)
    {
        int threads = Math.Min(maxThreads, count);
        if (threads <= 1 || count * workPerItem < MinParallelWork)
        {
            body(0, count);
            return;
        }

        new RangeLoop(count, threads, body).Run();
    }

    /// <summary>
    /// One parallel loop: its ranges are claimed one at a time by the caller and by the engine's helper threads
    /// (<see cref="Workers"/>), so a helper that starts late, or never, only leaves more to the caller.
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
                Workers.Queue(this);
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
