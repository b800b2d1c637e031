namespace Autodiff.Tests.Reliability;

/// <summary>
/// Deep graphs: the sweeps are loops over the recording order, never recursion, so depth costs memory, not stack.
/// The memory per entry printed here is what docs/reliability.md reports.
/// </summary>
[TestFixture]
public sealed class DeepGraphTests
{
    [Test]
    public void A_ten_million_op_scalar_chain_differentiates_to_the_closed_form()
    {
        const int Steps = 5_000_000; // two ops each: y ← c·y + ½
        const double C = 1.0000001;
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var tape = new Tape(capacity: (2 * Steps) + 1);
        Scalar x = tape.Variable(1.0);
        Scalar y = x;
        for (int i = 0; i < Steps; i++)
        {
            y = Scalar.Add(Scalar.Multiply(y, C), 0.5);
        }

        Assert.That(tape.Count, Is.EqualTo((2 * Steps) + 1));
        double dydx = tape.Gradient(y, x);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;

        // y_N = c^N·x + ½·(c^N − 1)/(c − 1), so dy/dx = c^N; rounding of N products stays well under 1e-8 relative.
        double cn = Math.Pow(C, Steps);
        Assert.That(dydx, Is.EqualTo(cn).Within(1e-8).Percent);
        Assert.That(y.Value, Is.EqualTo(cn + (0.5 * (cn - 1) / (C - 1))).Within(1e-7).Percent);

        double perEntry = (double)bytes / tape.Count;
        TestContext.Out.WriteLine($"scalar chain: {tape.Count:N0} entries, {bytes / 1e6:F0} MB allocated, {perEntry:F1} B per entry (tape arrays + adjoints)");
        Assert.That(perEntry, Is.LessThan(64), "24 B entry + 8 B value + 1 B op + 16 B location + 8 B adjoint");
    }

    [Test]
    public void A_hundred_thousand_op_tensor_chain_differentiates_to_the_closed_form()
    {
        const int Steps = 50_000; // two ops each: y ← c·y + ½
        const double C = 1.00001;
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0, 3.0, 4.0], 4).RequiresGrad();
        using var tape = new Tape();
        for (int pass = 0; pass < 2; pass++)
        {
            // The first pass grows the tape's memory; the second runs in it, as a training loop would after a Reset.
            tape.Reset();
            x.ZeroGrad();
            long before = GC.GetAllocatedBytesForCurrentThread();
            Tensor<double> y = x;
            for (int i = 0; i < Steps; i++)
            {
                y = y.Mul(C).Add(0.5);
            }

            Tensor<double> loss = y.Sum();
            Assert.That(tape.TensorCount, Is.EqualTo((2 * Steps) + 1));
            long forward = GC.GetAllocatedBytesForCurrentThread() - before;
            loss.Backward();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;

            double cn = Math.Pow(C, Steps);
            Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { cn, cn, cn, cn }).Within(1e-8).Percent);
            TestContext.Out.WriteLine(
                $"tensor chain, pass {pass + 1}: {tape.TensorCount:N0} nodes of [4] doubles, {bytes / 1e6:F1} MB allocated, " +
                $"{(double)forward / tape.TensorCount:F0} B per node recording, {(double)(bytes - forward) / tape.TensorCount:F0} B per node in backward");
        }
    }
}
