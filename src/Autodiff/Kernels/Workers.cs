using System.Diagnostics;

namespace Autodiff.Kernels;

/// <summary>
/// The engine's own helper threads, one per processor beyond the caller's, which spin for a while after each piece
/// of work before they go to sleep: the parallel kernels hand them their pieces instead of the thread pool.
/// </summary>
/// <remarks>
/// <para>
/// A training step runs a parallel kernel every few tens of microseconds. A thread-pool thread that has gone to
/// sleep in between takes long to wake on a VM (an idle virtual CPU has to be scheduled again by the host), and
/// the caller, having finished its own half, waits for it: the step's large products took longer inside the step
/// than back to back. Making the whole pool spin longer (<c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit</c>) recovered that in some
/// runs and lost more in others, because every idle pool thread then spins, on 2 cores, against the caller.
/// Here exactly <see cref="Environment.ProcessorCount"/> − 1 threads spin, for <see cref="SpinTime"/> after their
/// last piece, which is what LibTorch's OpenMP threads do between parallel regions. The profile and the spin times
/// tried are in docs/benchmarks.md ("Kernel choices").
/// </para>
/// <para>
/// A piece that finds every helper busy (nested parallel loops, several threads training at once) goes to the
/// thread pool instead. Every caller in the engine claims pieces that have not started and does them itself, so a
/// piece that starts late, or never, costs time but cannot deadlock.
/// </para>
/// </remarks>
internal static class Workers
{
    /// <summary>How long a helper keeps looking for its next piece before it sleeps (<see cref="Parallelism.HelperSpinTime"/>).</summary>
    internal static TimeSpan SpinTime
    {
        get => TimeSpan.FromSeconds((double)s_spinTicks / Stopwatch.Frequency);
        set => Volatile.Write(ref s_spinTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
    }

    private static long s_spinTicks = Stopwatch.Frequency / 2000;

    private static readonly Lazy<Worker[]> s_workers = new(
        () => Enumerable.Range(1, Math.Max(1, Environment.ProcessorCount - 1)).Select(i => new Worker(i)).ToArray());

    /// <summary>Runs <paramref name="item"/> on an idle helper, or on the thread pool if every helper is busy.</summary>
    /// <param name="item">The piece of work; it must not throw (the engine's pieces keep their exception for the caller).</param>
    public static void Queue(IThreadPoolWorkItem item)
    {
        foreach (Worker worker in s_workers.Value)
        {
            if (worker.TryGive(item))
            {
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
    }

    /// <summary>One helper thread and the slot through which it gets its piece (non-null while it is busy).</summary>
    private sealed class Worker
    {
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private IThreadPoolWorkItem? _item;
        private int _sleeping;

        public Worker(int number) =>
            new Thread(Loop) { IsBackground = true, Name = $"Autodiff helper {number}" }.Start();

        /// <summary>Hands <paramref name="item"/> to this helper if it is idle.</summary>
        public bool TryGive(IThreadPoolWorkItem item)
        {
            if (Interlocked.CompareExchange(ref _item, item, null) is not null)
            {
                return false;
            }

            // Both this exchange and the helper's write of _sleeping are full fences, so either the helper sees
            // the item before it sleeps or this sees it asleep and wakes it.
            if (Volatile.Read(ref _sleeping) == 1)
            {
                _wake.Set();
            }

            return true;
        }

        private void Loop()
        {
            while (true)
            {
                WaitForItem().Execute();
                Volatile.Write(ref _item, null);
            }
        }

        private IThreadPoolWorkItem WaitForItem()
        {
            long deadline = Stopwatch.GetTimestamp() + Volatile.Read(ref s_spinTicks);
            while (true)
            {
                if (Volatile.Read(ref _item) is { } item)
                {
                    return item;
                }

                if (Stopwatch.GetTimestamp() < deadline)
                {
                    Thread.SpinWait(16);
                    continue;
                }

                _wake.Reset();
                Interlocked.Exchange(ref _sleeping, 1);
                if (Volatile.Read(ref _item) is null)
                {
                    _wake.Wait();
                }

                Volatile.Write(ref _sleeping, 0);
                deadline = Stopwatch.GetTimestamp() + Volatile.Read(ref s_spinTicks);
            }
        }
    }
}
