using System.Collections.Concurrent;
using Autodiff.Kernels;

namespace Autodiff.Tests.Kernels;

/// <summary>
/// The engine's helper threads (Kernels/Workers.cs) and the parallel loop on top of them: every piece runs exactly
/// once, whether a helper is spinning, asleep or busy, and failures reach the caller.
/// </summary>
public sealed class WorkersTests
{
    private sealed class Counted(CountdownEvent done, ConcurrentBag<string> threads) : IThreadPoolWorkItem
    {
        public int Runs;

        public void Execute()
        {
            Interlocked.Increment(ref Runs);
            threads.Add(Thread.CurrentThread.Name ?? "pool");
            done.Signal();
        }
    }

    [Test]
    public void Every_queued_piece_runs_once_whether_helpers_are_idle_asleep_or_busy()
    {
        var threads = new ConcurrentBag<string>();
        for (int round = 0; round < 3; round++)
        {
            // More pieces at once than there are helpers: the rest go to the thread pool.
            using var done = new CountdownEvent(50);
            Counted[] items = Enumerable.Range(0, 50).Select(_ => new Counted(done, threads)).ToArray();
            foreach (Counted item in items)
            {
                Workers.Queue(item);
            }

            Assert.That(done.Wait(TimeSpan.FromSeconds(30)), Is.True, "every piece ran");
            Assert.That(items.Select(i => i.Runs), Is.All.EqualTo(1));

            // Long enough for the helpers to stop spinning and go to sleep: the next round has to wake them.
            Thread.Sleep(Workers.SpinTime * 4 + TimeSpan.FromMilliseconds(5));
        }

        Assert.That(threads, Has.Some.StartsWith("Autodiff helper"), "the helpers took part");
    }

    [Test]
    public void Helpers_that_sleep_at_once_still_run_every_piece_and_the_setting_is_checked()
    {
        TimeSpan previous = Parallelism.HelperSpinTime;
        int threads = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 2;
        try
        {
            Parallelism.HelperSpinTime = TimeSpan.Zero;
            Assert.That(Parallelism.HelperSpinTime, Is.EqualTo(TimeSpan.Zero));
            for (int round = 0; round < 200; round++)
            {
                var hits = new int[64];
                Parallelism.For(hits.Length, 1 << 16, (from, to) =>
                {
                    for (int i = from; i < to; i++)
                    {
                        hits[i]++;
                    }
                });
                Assert.That(hits, Is.All.EqualTo(1), $"round {round}");
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.HelperSpinTime = TimeSpan.FromTicks(-1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.HelperSpinTime = TimeSpan.FromSeconds(2));
        }
        finally
        {
            Parallelism.HelperSpinTime = previous;
            Parallelism.MaxThreads = threads;
        }

        Assert.That(Parallelism.HelperSpinTime, Is.EqualTo(previous).Within(TimeSpan.FromTicks(1)));
    }

    [TestCase(1, 7)]
    [TestCase(2, 2)]
    [TestCase(2, 1001)]
    [TestCase(4, 3)]
    public void A_parallel_loop_covers_every_index_exactly_once(int threads, int count)
    {
        int previous = Parallelism.MaxThreads;
        Parallelism.MaxThreads = threads;
        try
        {
            var hits = new int[count];
            Parallelism.For(count, 1 << 16, (from, to) =>
            {
                for (int i = from; i < to; i++)
                {
                    Interlocked.Increment(ref hits[i]);
                }
            });
            Assert.That(hits, Is.All.EqualTo(1));
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }

    [Test]
    public void A_failing_range_throws_on_the_caller_after_every_other_range_has_finished()
    {
        int previous = Parallelism.MaxThreads;
        Parallelism.MaxThreads = 2;
        try
        {
            int finished = 0;
            var error = Assert.Throws<InvalidOperationException>(() => Parallelism.For(2, 1 << 16, (from, _) =>
            {
                if (from == 0)
                {
                    throw new InvalidOperationException("range 0");
                }

                Thread.Sleep(20);
                Interlocked.Increment(ref finished);
            }));
            Assert.That(error!.Message, Is.EqualTo("range 0"));
            Assert.That(finished, Is.EqualTo(1), "the caller waited for the other range");
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
    }

    [Test]
    public void Nested_and_concurrent_loops_finish_with_every_index_covered()
    {
        // Eight threads, each running loops whose ranges run loops: far more pieces than helpers, so most of
        // them find the helpers busy, and some callers must do pieces nobody started.
        var totals = new long[8];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            Parallelism.MaxThreads = 2;
            for (int round = 0; round < 50; round++)
            {
                Parallelism.For(4, 1 << 16, (from, to) =>
                {
                    for (int i = from; i < to; i++)
                    {
                        Parallelism.For(8, 1 << 16, (a, b) => Interlocked.Add(ref totals[t], b - a));
                    }
                });
            }
        });
        Assert.That(totals, Is.All.EqualTo(50 * 4 * 8));
    }
}
