namespace Autodiff.Tests.Reliability;

/// <summary>Tapes and threads: one tape per task is exact; one tape from two threads at once is refused.</summary>
[TestFixture]
public sealed class ConcurrencyTests
{
    // A small network-like computation whose gradient depends on the seed.
    private static double[] Gradient(int seed)
    {
        using var tape = new Tape();
        Tensor<double> x = Tensor.RandomNormal<double>([16, 8], seed);
        Tensor<double> w = Tensor.RandomNormal<double>([8, 4], seed + 1000).RequiresGrad();
        Tensor<double> loss = x.MatMul(w).Tanh().Softmax(1).Log().Mean();
        loss.Backward();

        Scalar a = tape.Variable(seed * 0.1);
        Scalar s = a;
        for (int i = 0; i < 1000; i++)
        {
            s = Scalar.Sin(s) + (a * 0.25);
        }

        return [.. w.Grad!.ToArray(), tape.Gradient(s, a)];
    }

    [Test]
    public async Task Eight_tasks_with_their_own_tapes_match_the_sequential_results_exactly()
    {
        double[][] sequential = [.. Enumerable.Range(0, 8).Select(Gradient)];
        for (int round = 0; round < 3; round++)
        {
            double[][] concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Gradient(i))));
            for (int i = 0; i < 8; i++)
            {
                Assert.That(concurrent[i], Is.EqualTo(sequential[i]), $"task {i}, round {round}");
            }
        }
    }

    [Test]
    public async Task A_tensor_computation_continues_on_the_current_tape_after_await()
    {
        using var tape = new Tape();
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0], 2).RequiresGrad();
        Tensor<double> y = x * x;
        await Task.Delay(1).ConfigureAwait(false); // resumes on a pool thread
        Assert.That(Tape.Current, Is.SameAs(tape));
        Tensor<double> z = (y * 3.0).Sum();
        Assert.That(tape.TensorCount, Is.EqualTo(3), "the ops after the await were recorded on the same tape");
        z.Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 6.0, 12.0 }));
    }

    [Test]
    public void Recording_sweeping_or_resetting_a_tape_that_another_thread_is_sweeping_throws_a_clear_error()
    {
        using var tape = new Tape();
        using var inRule = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Scalar a = tape.Variable(3.0);
        Scalar s = a * a;
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0], 2).RequiresGrad();
        Tensor<double> y = Autograd.Custom<double>("Slow", [x], xs => xs[0].Clone(), (g, xs, r) =>
        {
            inRule.Set();
            release.Wait(TimeSpan.FromSeconds(30)); // hold the sweep open while the other thread tries to record
            return [g];
        }).Sum();

        Task sweep = Task.Run(() => y.Backward());
        Assert.That(inRule.Wait(TimeSpan.FromSeconds(30)), Is.True);
        try
        {
            // This thread's current tape is the same one (it flows into the task too); recording now collides.
            var ex = Assert.Throws<InvalidOperationException>(() => _ = x * 2.0);
            Assert.That(ex!.Message, Does.Contain("in use by another thread").And.Contain("give each concurrent task its own tape"));
            Assert.Throws<InvalidOperationException>(tape.Reset);
            Assert.That(Assert.Throws<InvalidOperationException>(() => tape.Gradient(s, a))!.Message, Does.StartWith("Gradient: this tape is in use"));
            Assert.Throws<InvalidOperationException>(() => tape.Backward(s));
            Assert.Throws<InvalidOperationException>(() => tape.RecordedGradient(s, a));
        }
        finally
        {
            release.Set();
        }

        Assert.That(sweep.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 1.0, 1.0 }), "the sweep itself finished undisturbed");
        Assert.DoesNotThrow(() => _ = x * 2.0, "once the sweep is over, any thread may use the tape");
        Assert.That(tape.Gradient(s, a), Is.EqualTo(6.0));
    }

    [Test]
    public void Two_threads_recording_on_one_tape_at_once_either_are_refused_or_keep_the_tape_consistent()
    {
        // Collisions are caught when the two recordings overlap; whichever way the race goes, the tape stays consistent.
        using var tape = new Tape();
        Tensor<float> x = Tensor.Ones<float>(4).RequiresGrad();
        int refused = 0;
        void Record()
        {
            for (int i = 0; i < 20_000; i++)
            {
                try
                {
                    _ = x * 2f;
                }
                catch (InvalidOperationException ex) when (ex.Message.Contains("in use by another thread", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }

        Task.WaitAll(Task.Run(Record), Task.Run(Record));
        Assert.That(tape.TensorCount, Is.EqualTo(40_000 - refused), "no node was lost or doubled");
    }
}
