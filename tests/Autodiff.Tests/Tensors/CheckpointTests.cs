using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Tensors;

/// <summary>
/// Gradient checkpointing: gradients with and without a checkpoint are the same bits (first and second order, every
/// sink, nested, several inputs and outputs, dropout inside), the segment's intermediates are not kept, and misuse is
/// refused by name.
/// </summary>
public sealed class CheckpointTests
{
    /// <summary>A layer of a deep tanh network: tanh(W·x + b), x of shape [n, batch].</summary>
    private static Tensor<double> Layer(Tensor<double> w, Tensor<double> b, Tensor<double> x) => w.MatMul(x).Add(b).Tanh();

    private static (Tensor<double>[] Ws, Tensor<double>[] Bs) Parameters(int layers, int width, int seed)
    {
        var ws = new Tensor<double>[layers];
        var bs = new Tensor<double>[layers];
        for (int i = 0; i < layers; i++)
        {
            ws[i] = Tensor.RandomNormal<double>([width, width], seed: seed + (2 * i), std: 1.0 / Math.Sqrt(width)).RequiresGrad();
            bs[i] = Tensor.RandomNormal<double>([width, 1], seed: seed + (2 * i) + 1, std: 0.1).RequiresGrad();
        }

        return (ws, bs);
    }

    /// <summary>The network's loss, with every <paramref name="every"/> layers checkpointed as one segment (0: none).</summary>
    private static Tensor<double> Loss(Tensor<double>[] ws, Tensor<double>[] bs, Tensor<double> x, int every)
    {
        Tensor<double> h = x;
        for (int i = 0; i < ws.Length;)
        {
            int end = every == 0 ? i + 1 : Math.Min(ws.Length, i + every);
            int start = i;
            Tensor<double> Segment(Tensor<double> input)
            {
                Tensor<double> y = input;
                for (int j = start; j < end; j++)
                {
                    y = Layer(ws[j], bs[j], y);
                }

                return y;
            }

            h = every == 0 ? Segment(h) : Autograd.Checkpoint(Segment, h);
            i = end;
        }

        return h.Mul(h).Sum();
    }

    [Test]
    public void Gradients_through_checkpoints_are_the_same_bits_for_random_depths_segments_and_shapes()
    {
        var cases = from layers in Gen.Choose(1, 7)
                    from every in Gen.Choose(1, 4)
                    from width in Gen.Choose(1, 5)
                    from batch in Gen.Choose(1, 3)
                    from seed in Gen.Choose(0, 10_000)
                    select (layers, every, width, batch, seed);
        Property property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (int layers, int every, int width, int batch, int seed) = c;
            (Tensor<double>[] ws, Tensor<double>[] bs) = Parameters(layers, width, seed);
            Tensor<double> x = Tensor.RandomNormal<double>([width, batch], seed: seed + 999).RequiresGrad();
            Tensor<double>[] all = [.. ws, .. bs, x];
            double[][] plain = Gradients(() => Loss(ws, bs, x, every: 0), all);
            double[][] checkpointed = Gradients(() => Loss(ws, bs, x, every), all);
            bool same = plain.Zip(checkpointed).All(p => p.First.SequenceEqual(p.Second));
            return same.Label($"{layers} layers of {width}, batch {batch}, checkpoint every {every}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), property);
    }

    /// <summary>The gradients by Tape.Gradient, which leaves .Grad alone (the collecting sink).</summary>
    private static double[][] Gradients(Func<Tensor<double>> loss, Tensor<double>[] xs)
    {
        using var tape = new Tape();
        return [.. tape.Gradient(loss(), xs).Select(g => g.ToArray())];
    }

    [Test]
    public void Backward_fills_the_parameters_and_the_input_gradients_as_without_the_checkpoint()
    {
        (Tensor<double>[] ws, Tensor<double>[] bs) = Parameters(6, 4, seed: 7);
        Tensor<double> x = Tensor.RandomNormal<double>([4, 3], seed: 3).RequiresGrad();
        Tensor<double>[] all = [.. ws, .. bs, x];
        double[][] Backward(int every)
        {
            foreach (Tensor<double> p in all)
            {
                p.Grad = null;
            }

            using var tape = new Tape();
            Loss(ws, bs, x, every).Backward();
            return [.. all.Select(p => p.Grad!.ToArray())];
        }

        double[][] plain = Backward(0);
        Assert.That(Backward(3), Is.EqualTo(plain), "two segments of three layers");
        Assert.That(Backward(1), Is.EqualTo(plain), "every layer its own segment");
        Assert.That(Backward(6), Is.EqualTo(plain), "one segment");
    }

    [Test]
    public void A_first_layer_whose_input_needs_no_gradient_still_gives_its_weights_theirs()
    {
        // Only the captured weight requires grad: the checkpoint must see it (torch's reentrant checkpoint did not).
        Tensor<double> w = Tensor.FromArray<double>([1.0, 2.0, 3.0, 4.0]).Reshape([2, 2]).RequiresGrad();
        Tensor<double> x = Tensor.FromArray<double>([1.0, -1.0]).Reshape([2, 1]);
        using var tape = new Tape();
        Tensor<double> y = Autograd.Checkpoint(input => w.MatMul(input).Sum(), x);
        y.Backward();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 1.0, -1.0, 1.0, -1.0 }), "∂Σ(Wx)/∂W = 1·xᵀ");
        Assert.That(tape.TensorCount, Is.EqualTo(1), "the checkpoint is one node; its re-run's nodes are gone after the sweep");
    }

    [Test]
    public void Several_inputs_and_outputs_run_the_function_once_more_in_all()
    {
        Tensor<double> a = Tensor.FromArray<double>([1.0, 2.0, 3.0]).RequiresGrad(), b = Tensor.FromArray<double>([0.5, -1.0, 2.0]).RequiresGrad();
        int runs = 0;
        Tensor<double>[] Segment(Tensor<double>[] xs)
        {
            runs++;
            return [xs[0].Mul(xs[1]), xs[0].Exp().Sum()];
        }

        using var tape = new Tape();
        Tensor<double>[] ys = Autograd.Checkpoint(Segment, [a, b]);
        Tensor<double> loss = ys[0].Mul(ys[0]).Sum().Add(ys[1]);
        Tensor<double>[] g = tape.Gradient(loss, [a, b]);
        Assert.That(runs, Is.EqualTo(2), "the first run and one re-run for both outputs");
        double[] av = [1.0, 2.0, 3.0], bv = [0.5, -1.0, 2.0];
        Assert.That(g[0].ToArray(), Is.EqualTo(av.Select((x, i) => (2 * x * bv[i] * bv[i]) + Math.Exp(x))).Within(1e-13));
        Assert.That(g[1].ToArray(), Is.EqualTo(av.Select((x, i) => 2 * x * x * bv[i])).Within(1e-13));
        Assert.That(ys[0].Shape.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(ys[1].Shape.ToArray(), Is.Empty);
    }

    [Test]
    public void Nested_checkpoints_give_the_same_bits()
    {
        (Tensor<double>[] ws, Tensor<double>[] bs) = Parameters(4, 3, seed: 11);
        Tensor<double> x = Tensor.RandomNormal<double>([3, 2], seed: 5).RequiresGrad();
        Tensor<double> Inner(Tensor<double> h, int i) => Autograd.Checkpoint(v => Layer(ws[i + 1], bs[i + 1], Layer(ws[i], bs[i], v)), h);
        Tensor<double> Nested() => Autograd.Checkpoint(h => Inner(Inner(h, 0), 2), x).Mul(2.0).Sum();
        Tensor<double> Plain()
        {
            Tensor<double> h = x;
            for (int i = 0; i < 4; i++)
            {
                h = Layer(ws[i], bs[i], h);
            }

            return h.Mul(2.0).Sum();
        }

        Tensor<double>[] all = [.. ws, .. bs, x];
        Assert.That(Gradients(Nested, all), Is.EqualTo(Gradients(Plain, all)));
    }

    [Test]
    public void Second_derivatives_through_a_checkpoint_are_those_without_it()
    {
        (Tensor<double>[] ws, Tensor<double>[] bs) = Parameters(3, 3, seed: 21);
        Tensor<double> x = Tensor.RandomNormal<double>([3, 2], seed: 8);
        Tensor<double> v = Tensor.RandomNormal<double>([3, 2], seed: 9);
        Tensor<double> F(Tensor<double> input, int every) => Loss(ws, bs, input, every);
        double[] plain = Autograd.HessianVectorProduct(h => F(h, 0), x, v).ToArray();
        double[] checkpointed = Autograd.HessianVectorProduct(h => F(h, 2), x, v).ToArray();
        Assert.That(checkpointed, Is.EqualTo(plain).Within(1e-14), "H·v with respect to the input");
        Assert.That(plain.Any(e => Math.Abs(e) > 1e-3), "a non-trivial Hessian");

        // And with respect to a captured weight: ∂/∂W of ⟨∇_W L, V⟩.
        Tensor<double> direction = Tensor.RandomNormal<double>([3, 3], seed: 10);
        double[] WeightHvp(int every)
        {
            using var tape = new Tape();
            Tensor<double> g = tape.Gradient(Loss(ws, bs, x, every), [ws[0]], createGraph: true)[0];
            return tape.Gradient(g.Mul(direction).Sum(), [ws[0]])[0].ToArray();
        }

        Assert.That(WeightHvp(3), Is.EqualTo(WeightHvp(0)).Within(1e-14));
    }

    [Test]
    public void The_re_run_sees_the_first_runs_dropout_masks_and_the_generator_moves_once()
    {
        Tensor<double> w = Tensor.RandomNormal<double>([8, 8], seed: 1).RequiresGrad();
        Tensor<double> x = Tensor.RandomNormal<double>([8, 4], seed: 2);
        Tensor<double> Segment(Tensor<double> h)
        {
            // Dropout without a seed draws one from the global generator, as a layer that was given none does.
            Tensor<double> z = w.MatMul(h).Relu();
            return Tensor.Dropout(z, 0.5, Generator.NextSeed()).Tanh();
        }

        (double[] Grad, int After) Run(bool checkpoint)
        {
            Generator.ManualSeed(1234);
            using var tape = new Tape();
            Tensor<double> y = checkpoint ? Autograd.Checkpoint(Segment, x) : Segment(x);
            double[] grad = tape.Gradient(y.Sum(), [w])[0].ToArray();
            return (grad, Generator.NextSeed());
        }

        (double[] plain, int plainAfter) = Run(checkpoint: false);
        (double[] checkpointed, int checkpointedAfter) = Run(checkpoint: true);
        Assert.That(checkpointed, Is.EqualTo(plain), "same masks in the re-run");
        Assert.That(checkpointedAfter, Is.EqualTo(plainAfter), "the re-run drew nothing from the generator");
        Assert.That(plain.Count(g => g == 0), Is.GreaterThan(0).And.LessThan(plain.Length), "dropout zeroed some paths");
    }

    [Test]
    public void A_seed_stream_replays_inside_a_checkpoint_and_moves_once()
    {
        var plainStream = new SeedStream(42);
        var stream = new SeedStream(42);
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0]).RequiresGrad();
        var drawn = new List<int>();
        using (var tape = new Tape())
        {
            Tensor<double> y = Autograd.Checkpoint(
                h =>
                {
                    drawn.Add(stream.Next());
                    return h.Mul(h);
                },
                x);
            tape.Gradient(y.Sum(), [x]);
        }

        Assert.That(drawn, Has.Count.EqualTo(2), "drawn on the first run and on the re-run");
        Assert.That(drawn[1], Is.EqualTo(drawn[0]), "the re-run got the first run's seed");
        Assert.That(drawn[0], Is.EqualTo(plainStream.Next()));
        Assert.That(stream.Next(), Is.EqualTo(plainStream.Next()), "the stream moved once");
    }

    [Test]
    public void The_segments_activations_are_not_kept()
    {
        // 16 layers of 64 × 64 at batch 64: each layer keeps two 4,096-element results without checkpoints.
        (Tensor<double>[] ws, Tensor<double>[] bs) = Parameters(16, 64, seed: 3);
        Tensor<double> x = Tensor.RandomNormal<double>([64, 64], seed: 4).RequiresGrad();
        long Pooled(int every)
        {
            using var tape = new Tape();
            Loss(ws, bs, x, every).Backward();
            return tape.PooledElements;
        }

        long plain = Pooled(0), checkpointed = Pooled(4);
        TestContext.Out.WriteLine($"elements held by the tape after one step: {plain:N0} without checkpoints, {checkpointed:N0} with one every 4 layers");
        Assert.That(checkpointed, Is.LessThan(plain / 2), "4 segment boundaries and one segment's re-run instead of 16 layers");
    }

    [Test]
    public void A_recorded_result_read_through_a_closure_is_refused_by_name()
    {
        Tensor<double> a = Tensor.FromArray<double>([1.0, 2.0]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> hidden = a.Exp();
        var e = Assert.Throws<InvalidOperationException>(() => Autograd.Checkpoint(x => x.Mul(hidden), a))!;
        Assert.That(e.Message, Does.StartWith("Checkpoint: the function reads a tensor of shape [2] made by 'Exp'"));
        Assert.That(e.Message, Does.Contain("CheckpointTests.cs:"));
    }

    [Test]
    public void A_function_that_returns_another_shape_on_its_re_run_is_refused()
    {
        Tensor<double> a = Tensor.FromArray<double>([1.0, 2.0, 3.0, 4.0]).RequiresGrad();
        int runs = 0;
        using var tape = new Tape();
        Tensor<double> y = Autograd.Checkpoint(x => ++runs == 1 ? x.Mul(x) : x.Reshape([2, 2]), a);
        var e = Assert.Throws<InvalidOperationException>(() => tape.Gradient(y.Sum(), [a]))!;
        Assert.That(e.Message, Does.Contain("returned [2, 2] where its first run returned [4]"));
    }

    [Test]
    public void Without_a_tape_or_anything_to_differentiate_the_function_simply_runs()
    {
        Tensor<double> a = Tensor.FromArray<double>([1.0, 2.0]);
        Assert.That(Autograd.Checkpoint(x => x.Mul(3.0), a).ToArray(), Is.EqualTo(new[] { 3.0, 6.0 }), "no tape");
        using var tape = new Tape();
        Assert.That(Autograd.Checkpoint(x => x.Mul(3.0), a).ToArray(), Is.EqualTo(new[] { 3.0, 6.0 }));
        Assert.That(tape.TensorCount, Is.Zero, "nothing requires grad: no node");
        Tensor<double> b = a.Detach().RequiresGrad();
        using (Autograd.NoGrad())
        {
            Assert.That(Autograd.Checkpoint(x => x.Mul(3.0), b).GradRequired, Is.False, "NoGrad: no node");
        }
    }

    [Test]
    public void A_function_that_returns_its_input_passes_the_gradient_through()
    {
        Tensor<double> a = Tensor.FromArray<double>([1.0, 2.0]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = Autograd.Checkpoint(x => x, a);
        Assert.That(tape.Gradient(y.Mul(y).Sum(), [a])[0].ToArray(), Is.EqualTo(new[] { 2.0, 4.0 }));
    }

    [Test]
    public void Float_tensors_and_a_captured_double_parameter_through_a_cast()
    {
        Tensor<double> scale = Tensor.FromArray<double>([2.0]).RequiresGrad();
        Tensor<float> x = Tensor.FromArray<float>([1f, 2f, 3f]).RequiresGrad();
        using var tape = new Tape();
        Tensor<float> y = Autograd.Checkpoint(h => h.Mul(scale.ToFloat()).Mul(h), x);
        y.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 4f, 8f, 12f }), "2·scale·x");
        Assert.That(scale.Grad!.ToArray(), Is.EqualTo(new[] { 14.0 }), "Σx² reaches the double parameter through the cast");
    }
}
