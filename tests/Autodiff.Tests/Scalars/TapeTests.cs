namespace Autodiff.Tests.Scalars;

/// <summary>The tape itself: ambient scoping, reuse, validation, allocation, deep graphs, inspection.</summary>
[TestFixture]
public sealed class TapeTests
{
    [Test]
    public void A_new_tape_is_current_until_disposed_and_tapes_nest()
    {
        Tape? before = Tape.Current;
        using (var outer = new Tape())
        {
            Assert.That(Tape.Current, Is.SameAs(outer));
            using (var inner = new Tape())
            {
                Assert.That(Tape.Current, Is.SameAs(inner));
            }

            Assert.That(Tape.Current, Is.SameAs(outer));
        }

        Assert.That(Tape.Current, Is.SameAs(before));
    }

    [Test]
    public async Task The_current_tape_flows_across_await()
    {
        using var tape = new Tape();
        await Task.Yield();
        Assert.That(Tape.Current, Is.SameAs(tape));
        Tape? seenByOtherFlow = await Task.Run(() => Tape.Current);
        Assert.That(seenByOtherFlow, Is.SameAs(tape), "a child task inherits the ambient tape");
    }

    [Test]
    public void Reset_clears_entries_and_invalidates_old_scalars()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1);
        _ = x * 2.0;
        Assert.That(tape.Count, Is.EqualTo(2));
        tape.Reset();
        Assert.That(tape.Count, Is.Zero);
        var ex = Assert.Throws<InvalidOperationException>(() => _ = Scalar.Exp(x));
        Assert.That(ex!.Message, Does.Contain("Exp").And.Contain("reset"));
    }

    [Test]
    public void Scalars_of_a_disposed_tape_are_rejected()
    {
        var tape = new Tape();
        Scalar x = tape.Variable(1);
        tape.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _ = x.Value);
        Assert.Throws<ObjectDisposedException>(() => tape.Variable(2));
    }

    [Test]
    public void Mixing_tapes_is_a_clear_error()
    {
        using var a = new Tape();
        using var b = new Tape();
        Scalar x = a.Variable(1), y = b.Variable(2);
        var ex = Assert.Throws<InvalidOperationException>(() => _ = Scalar.Multiply(x, y));
        Assert.That(ex!.Message, Does.Contain("Multiply").And.Contain("different tapes"));
    }

    [Test]
    public void Default_scalar_is_a_clear_error()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1);
        var ex = Assert.Throws<InvalidOperationException>(() => _ = x + default(Scalar));
        Assert.That(ex!.Message, Does.Contain("default(Scalar)"));
        Assert.Throws<InvalidOperationException>(() => _ = Scalar.Sin(default));
    }

    [Test]
    public void Gradient_destination_of_the_wrong_length_is_rejected()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1);
        var ex = Assert.Throws<ArgumentException>(() => tape.Gradient(x * x, [x], new double[2]));
        Assert.That(ex!.Message, Does.Contain("length 2"));
    }

    [Test]
    public void A_warm_tape_records_and_differentiates_without_allocating()
    {
        using var tape = new Tape();
        Span<double> grad = stackalloc double[2];
        double RunOnce(Span<double> g)
        {
            tape.Reset();
            Scalar x = tape.Variable(0.3), y = tape.Variable(-1.2);
            Scalar f = x;
            for (int i = 0; i < 10_000; i++)
            {
                f = Scalar.Sin(f * y) + (x * 0.5);
            }

            tape.Gradient(f, [x, y], g);
            return f.Value;
        }

        RunOnce(grad); // grows the tape and the adjoint buffer
        long before = GC.GetAllocatedBytesForCurrentThread();
        double value = RunOnce(grad);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero, "bytes allocated by 30,000 recorded ops and one sweep on a warm tape");
        Assert.That(double.IsFinite(value) && double.IsFinite(grad[0]) && double.IsFinite(grad[1]), Is.True);
    }

    [Test]
    public void Reset_keeps_capacity()
    {
        using var tape = new Tape(capacity: 4);
        Scalar x = tape.Variable(1);
        for (int i = 0; i < 1000; i++)
        {
            x = x + 1.0;
        }

        tape.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        x = tape.Variable(1);
        for (int i = 0; i < 1000; i++)
        {
            x = x + 1.0;
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        Assert.That(x.Value, Is.EqualTo(1001.0));
    }

    [Test]
    public void A_chain_of_a_million_ops_does_not_overflow_the_stack()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1);
        Scalar y = x;
        for (int i = 0; i < 1_000_000; i++)
        {
            y = y * 1.0000001;
        }

        Assert.That(tape.Gradient(y, x), Is.EqualTo(Math.Pow(1.0000001, 1_000_000)).Within(1e-9).Percent);
    }

    [Test]
    public void The_listing_shows_ops_inputs_values_and_source_lines()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(0.5, "x");
        int expLine = LineOf() + 1;
        Scalar y = Scalar.Exp(x);
        _ = Scalar.Multiply(y, x);
        string listing = tape.ToString();
        Assert.That(listing, Does.Contain("3 entries"));
        Assert.That(listing, Does.Contain("Variable").And.Contain(" x "));
        Assert.That(listing, Does.Contain("Exp").And.Contain("#1"));
        Assert.That(listing, Does.Contain("Multiply").And.Contain("#2, #1"));
        Assert.That(listing, Does.Contain($"TapeTests.cs:{expLine}"));
        Assert.That(listing, Does.Contain(Math.Exp(0.5).ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static int LineOf([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    [Test]
    public void The_dot_graph_has_a_node_per_entry_and_an_edge_per_input()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(2, "x"), y = tape.Variable(3, "y");
        _ = Scalar.Sin(x * y);
        string dot = tape.ToDot();
        Assert.That(dot, Does.StartWith("digraph tape {"));
        Assert.That(dot, Does.Contain("n1 -> n3;").And.Contain("n2 -> n3;").And.Contain("n3 -> n4;"));
        Assert.That(dot, Does.Contain("#1 Variable x"));
        Assert.That(dot.TrimEnd(), Does.EndWith("}"));
    }

    [Test]
    public void Vector_jacobian_product_weights_the_outputs()
    {
        // y₁ = x₁x₂, y₂ = sin x₁  ⇒  vᵀJ = [v₁x₂ + v₂cos x₁, v₁x₁]
        using var tape = new Tape();
        Scalar x1 = tape.Variable(0.3), x2 = tape.Variable(2);
        Scalar y1 = x1 * x2, y2 = Scalar.Sin(x1);
        Gradients g = tape.Backward([y1, y2], [2.0, -1.0]);
        Assert.That(g[x1], Is.EqualTo((2 * 2) - Math.Cos(0.3)).Within(1e-15));
        Assert.That(g[x2], Is.EqualTo(2 * 0.3).Within(1e-15));
    }
}
