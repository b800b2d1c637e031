namespace Autodiff.NN.Tests.Recurrent;

/// <summary>
/// LSTM, GRU and their cells as layers: PyTorch's parameter names and shapes, its initialisation, the layouts
/// (batch-first, time-major, unbatched), the recurrence step by step and layer by layer, dropout between layers,
/// shape errors that name the layer.
/// </summary>
[TestFixture]
public sealed class RecurrentLayerTests
{
    private static float[] Values(Tensor<float> t) => t.ToArray();

    [Test]
    public void Parameters_have_PyTorch_names_and_shapes()
    {
        var lstm = new LSTM(3, 5, numLayers: 2);
        Assert.That(lstm.NamedParameters().Select(p => $"{p.Name} {TestSupport.Format(p.Parameter.ShapeArray())}"), Is.EqualTo(new[]
        {
            "weight_ih_l0 [20, 3]", "weight_hh_l0 [20, 5]", "bias_ih_l0 [20]", "bias_hh_l0 [20]",
            "weight_ih_l1 [20, 5]", "weight_hh_l1 [20, 5]", "bias_ih_l1 [20]", "bias_hh_l1 [20]",
        }));
        Assert.That(new GRU(3, 5, bias: false).NamedParameters().Select(p => $"{p.Name} {TestSupport.Format(p.Parameter.ShapeArray())}"),
            Is.EqualTo(new[] { "weight_ih_l0 [15, 3]", "weight_hh_l0 [15, 5]" }));
        Assert.That(new LSTMCell(3, 5).NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight_ih", "weight_hh", "bias_ih", "bias_hh" }));
        Assert.That(new GRUCell(3, 5, bias: false).NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight_ih", "weight_hh" }));
        Assert.That(lstm.AllWeights, Has.Count.EqualTo(2));
        Assert.That(lstm.AllWeights[1][0], Is.SameAs(lstm.NamedParameters()[4].Parameter));
        Assert.That(lstm.Parameters().All(p => p.GradRequired), Is.True);
    }

    [Test]
    public void Every_weight_and_bias_starts_uniform_within_one_over_sqrt_hidden_like_PyTorch()
    {
        const int H = 64;
        float bound = 1 / MathF.Sqrt(H);
        foreach (Module model in new Module[] { new LSTM(10, H, numLayers: 2, seed: 3), new GRU(10, H, seed: 3), new LSTMCell(10, H), new GRUCell(10, H) })
        {
            foreach ((string name, Tensor<float> p) in model.NamedParameters())
            {
                float[] v = Values(p);
                Assert.That(v.Max(MathF.Abs), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.9f * bound), $"{model.GetType().Name}.{name}");
                double variance = v.Select(e => (double)e * e).Average();   // Var U(−a, a) = a²/3
                Assert.That(variance, Is.EqualTo(bound * bound / 3.0).Within(v.Length > 1000 ? 10 : 35).Percent, $"{model.GetType().Name}.{name}");
            }

            // Each tensor has a stream of its own: no two start alike.
            var firsts = model.Parameters().Select(p => p.Span[0]).ToArray();
            Assert.That(firsts.Distinct().Count(), Is.EqualTo(firsts.Length));
        }

        float[] seeded = Values(new LSTM(2, 3, seed: 1).Parameters()[1]), again = Values(new LSTM(2, 3, seed: 1).Parameters()[1]);
        Assert.That(seeded, Is.EqualTo(again));
        Assert.That(seeded, Is.Not.EqualTo(Values(new LSTM(2, 3, seed: 2).Parameters()[1])));
    }

    [Test]
    public void Output_and_state_shapes_follow_the_layout()
    {
        Tensor<float> timeMajor = Tensor.RandomNormal<float>([7, 2, 3], seed: 1);
        (Tensor<float> o, Tensor<float> h, Tensor<float> c) = new LSTM(3, 4, numLayers: 3).Forward(timeMajor);
        Assert.That((o.ShapeArray(), h.ShapeArray(), c.ShapeArray()), Is.EqualTo((new[] { 7, 2, 4 }, new[] { 3, 2, 4 }, new[] { 3, 2, 4 })));
        (o, h) = new GRU(3, 4, batchFirst: true).Forward(Tensor.RandomNormal<float>([2, 7, 3], seed: 1));
        Assert.That((o.ShapeArray(), h.ShapeArray()), Is.EqualTo((new[] { 2, 7, 4 }, new[] { 1, 2, 4 })));
        (o, h) = new GRU(3, 4, numLayers: 2).Forward(Tensor.RandomNormal<float>([7, 3], seed: 1));
        Assert.That((o.ShapeArray(), h.ShapeArray()), Is.EqualTo((new[] { 7, 4 }, new[] { 2, 4 })));
        (h, c) = new LSTMCell(3, 4).Forward(Tensor.RandomNormal<float>([3], seed: 1));
        Assert.That((h.ShapeArray(), c.ShapeArray()), Is.EqualTo((new[] { 4 }, new[] { 4 })));
    }

    [Test]
    public void Batch_first_is_the_time_major_network_on_transposed_input()
    {
        Tensor<float> x = Tensor.RandomNormal<float>([2, 5, 3], seed: 1);
        Tensor<float> h0 = Tensor.RandomNormal<float>([2, 2, 4], seed: 2), c0 = Tensor.RandomNormal<float>([2, 2, 4], seed: 3);
        (Tensor<float> o1, Tensor<float> h1, Tensor<float> c1) = new LSTM(3, 4, numLayers: 2, batchFirst: true, seed: 9).Forward(x, (h0, c0));
        (Tensor<float> o2, Tensor<float> h2, Tensor<float> c2) = new LSTM(3, 4, numLayers: 2, seed: 9).Forward(x.Transpose(0, 1), (h0, c0));
        Assert.That(Values(o1), Is.EqualTo(Values(o2.Transpose(0, 1))).Within(1e-6));
        Assert.That(Values(h1), Is.EqualTo(Values(h2)).Within(1e-6));
        Assert.That(Values(c1), Is.EqualTo(Values(c2)).Within(1e-6));

        (Tensor<float> g1, Tensor<float> gh1) = new GRU(3, 4, batchFirst: true, seed: 9).Forward(x, h0.Narrow(0, 0, 1));
        (Tensor<float> g2, Tensor<float> gh2) = new GRU(3, 4, seed: 9).Forward(x.Transpose(0, 1), h0.Narrow(0, 0, 1));
        Assert.That(Values(g1), Is.EqualTo(Values(g2.Transpose(0, 1))).Within(1e-6));
        Assert.That(Values(gh1), Is.EqualTo(Values(gh2)).Within(1e-6));
    }

    [Test]
    public void Unbatched_input_is_a_batch_of_one()
    {
        Tensor<float> x = Tensor.RandomNormal<float>([5, 3], seed: 1), h0 = Tensor.RandomNormal<float>([2, 4], seed: 2);
        var gru = new GRU(3, 4, numLayers: 2, seed: 4);
        (Tensor<float> o, Tensor<float> h) = gru.Forward(x, h0);
        (Tensor<float> ob, Tensor<float> hb) = gru.Forward(x.Unsqueeze(1), h0.Unsqueeze(1));
        Assert.That(Values(o), Is.EqualTo(Values(ob)));
        Assert.That(Values(h), Is.EqualTo(Values(hb)));

        var cell = new LSTMCell(3, 4, seed: 5);
        (Tensor<float> ch, Tensor<float> cc) = cell.Forward(x.Narrow(0, 0, 1).Reshape([3]), (h0.Narrow(0, 0, 1).Reshape([4]), h0.Narrow(0, 1, 1).Reshape([4])));
        (Tensor<float> bh, Tensor<float> bc) = cell.Forward(x.Narrow(0, 0, 1), (h0.Narrow(0, 0, 1), h0.Narrow(0, 1, 1)));
        Assert.That(Values(ch), Is.EqualTo(Values(bh)));
        Assert.That(Values(cc), Is.EqualTo(Values(bc)));
    }

    [Test]
    public void An_LSTM_layer_is_its_cell_applied_step_by_step_and_the_last_output_is_h_n()
    {
        var lstm = new LSTM(3, 4, seed: 2);
        var cell = new LSTMCell(3, 4);
        cell.LoadStateDict(lstm.StateDict().ToDictionary(p => p.Key.Replace("_l0", "", StringComparison.Ordinal), p => p.Value));
        Tensor<float> x = Tensor.RandomNormal<float>([6, 2, 3], seed: 3);
        (Tensor<float> output, Tensor<float> hN, Tensor<float> cN) = lstm.Forward(x);

        (Tensor<float> H, Tensor<float> C)? state = null;
        for (int t = 0; t < 6; t++)
        {
            state = cell.Forward(x.Narrow(0, t, 1).Reshape([2, 3]), state);
            Assert.That(Values(output.Narrow(0, t, 1)), Is.EqualTo(Values(state.Value.H)).Within(1e-6), $"step {t}");
        }

        Assert.That(Values(hN), Is.EqualTo(Values(state!.Value.H)).Within(1e-6));
        Assert.That(Values(cN), Is.EqualTo(Values(state.Value.C)).Within(1e-6));
    }

    [Test]
    public void A_GRU_layer_is_its_cell_applied_step_by_step()
    {
        var gru = new GRU(3, 4, seed: 2);
        var cell = new GRUCell(3, 4);
        cell.LoadStateDict(gru.StateDict().ToDictionary(p => p.Key.Replace("_l0", "", StringComparison.Ordinal), p => p.Value));
        Tensor<float> x = Tensor.RandomNormal<float>([6, 2, 3], seed: 3);
        (Tensor<float> output, Tensor<float> hN) = gru.Forward(x);
        Tensor<float>? h = null;
        for (int t = 0; t < 6; t++)
        {
            h = cell.Forward(x.Narrow(0, t, 1).Reshape([2, 3]), h);
            Assert.That(Values(output.Narrow(0, t, 1)), Is.EqualTo(Values(h)).Within(1e-6), $"step {t}");
        }

        Assert.That(Values(hN), Is.EqualTo(Values(h!)).Within(1e-6));
    }

    [Test]
    public void Two_stacked_layers_are_two_one_layer_networks_in_a_row()
    {
        var two = new GRU(3, 4, numLayers: 2, seed: 7);
        var first = new GRU(3, 4);
        var second = new GRU(4, 4);
        var state = two.StateDict();
        first.LoadStateDict(state.Where(p => p.Key.EndsWith("_l0", StringComparison.Ordinal)).ToDictionary());
        second.LoadStateDict(state.Where(p => p.Key.EndsWith("_l1", StringComparison.Ordinal)).ToDictionary(p => p.Key.Replace("_l1", "_l0", StringComparison.Ordinal), p => p.Value));
        Tensor<float> x = Tensor.RandomNormal<float>([5, 2, 3], seed: 1);
        (Tensor<float> output, Tensor<float> hN) = two.Forward(x);
        (Tensor<float> middle, Tensor<float> h1) = first.Forward(x);
        (Tensor<float> top, Tensor<float> h2) = second.Forward(middle);
        Assert.That(Values(output), Is.EqualTo(Values(top)).Within(1e-6));
        Assert.That(Values(hN), Is.EqualTo(Values(h1).Concat(Values(h2))).Within(1e-6));
    }

    [Test]
    public void The_zero_state_is_the_default_and_a_given_state_changes_the_result()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, seed: 1);
        Tensor<float> x = Tensor.RandomNormal<float>([4, 2, 3], seed: 2);
        Tensor<float> zeros = Tensor.Zeros<float>(2, 2, 4);
        Assert.That(Values(lstm.Forward(x).Output), Is.EqualTo(Values(lstm.Forward(x, (zeros, zeros)).Output)));
        Tensor<float> c0 = Tensor.RandomNormal<float>([2, 2, 4], seed: 3);
        Assert.That(Values(lstm.Forward(x, (zeros, c0)).Output), Is.Not.EqualTo(Values(lstm.Forward(x).Output)));
    }

    [Test]
    public void Dropout_between_layers_acts_in_training_mode_only()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, dropout: 1.0, seed: 1);
        Tensor<float> x = Tensor.RandomNormal<float>([4, 2, 3], seed: 2), other = Tensor.RandomNormal<float>([4, 2, 3], seed: 3);

        // p = 1 drops the whole first layer's output: the second layer sees zeros, whatever the input.
        Assert.That(Values(lstm.Forward(x).Output), Is.EqualTo(Values(lstm.Forward(other).Output)));
        lstm.Eval();
        Assert.That(Values(lstm.Forward(x).Output), Is.Not.EqualTo(Values(lstm.Forward(other).Output)));
        var plain = new LSTM(3, 4, numLayers: 2, seed: 1);
        Assert.That(Values(lstm.Forward(x).Output), Is.EqualTo(Values(plain.Forward(x).Output)), "evaluation: no dropout");

        // 0 < p < 1: fresh masks per call in training, the first layer's final state untouched by them.
        var gru = new GRU(3, 4, numLayers: 2, dropout: 0.5, seed: 1);
        (Tensor<float> a, Tensor<float> ha) = gru.Forward(x);
        (Tensor<float> b, Tensor<float> hb) = gru.Forward(x);
        Assert.That(Values(a), Is.Not.EqualTo(Values(b)));
        Assert.That(Values(ha.Narrow(0, 0, 1)), Is.EqualTo(Values(hb.Narrow(0, 0, 1))));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new GRU(3, 4, dropout: 1.5));
    }

    [Test]
    public void Backward_through_time_reaches_every_parameter_and_the_initial_state()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, batchFirst: true, seed: 1);
        Tensor<float> x = Tensor.RandomNormal<float>([2, 5, 3], seed: 2).RequiresGrad();
        Tensor<float> h0 = Tensor.Zeros<float>(2, 2, 4).RequiresGrad(), c0 = Tensor.Zeros<float>(2, 2, 4).RequiresGrad();
        using (var tape = new Tape())
        {
            (Tensor<float> output, _, _) = lstm.Forward(x, (h0, c0));
            output.Narrow(1, 4, 1).Sum().Backward();   // only the last step: the gradient must travel back through time
        }

        Assert.That(lstm.Parameters().All(p => p.Grad is not null && Values(p.Grad).Any(v => v != 0)), Is.True);
        Assert.That(Values(x.Grad!.Narrow(1, 0, 1)).Any(v => v != 0), Is.True, "the first step's input");
        Assert.That(Values(h0.Grad!).Any(v => v != 0) && Values(c0.Grad!).Any(v => v != 0), Is.True);
    }

    [Test]
    public void Shape_errors_name_the_layer_and_the_shapes()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, batchFirst: true);
        var ex = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros<float>(2, 5, 6)));
        Assert.That(ex!.Message, Does.StartWith("LSTM").And.Contain("[2, 5, 6]").And.Contain("[B, T, in]").And.Contain("in = 3"));
        ex = Assert.Throws<ArgumentException>(() => lstm.Forward(Tensor.Zeros<float>(2, 5, 3), (Tensor.Zeros<float>(1, 2, 4), Tensor.Zeros<float>(2, 2, 4))));
        Assert.That(ex!.Message, Does.Contain("h0 of shape [1, 2, 4]").And.Contain("expected [2, 2, 4]"));
        ex = Assert.Throws<ArgumentException>(() => new GRU(3, 4).Forward(Tensor.Zeros<float>(0, 2, 3)));
        Assert.That(ex!.Message, Does.Contain("at least one time step"));
        ex = Assert.Throws<ArgumentException>(() => new GRUCell(3, 4).Forward(Tensor.Zeros<float>(2, 3), Tensor.Zeros<float>(3, 4)));
        Assert.That(ex!.Message, Does.StartWith("GRUCell").And.Contain("h of shape [3, 4]").And.Contain("expected [2, 4]"));
        ex = Assert.Throws<ArgumentException>(() => new LSTMCell(3, 4).Forward(Tensor.Zeros<float>(2, 2, 3)));
        Assert.That(ex!.Message, Does.StartWith("LSTMCell").And.Contain("[2, 2, 3]"));
        ex = Assert.Throws<ArgumentException>(() => Functional.LSTM(Tensor.Zeros<double>(5, 2, 3), null, [Tensor.Zeros<double>(16, 3), Tensor.Zeros<double>(16, 4), Tensor.Zeros<double>(12)]));
        Assert.That(ex!.Message, Does.Contain("4 tensors per layer"));
        ex = Assert.Throws<ArgumentException>(() => Functional.GRU(Tensor.Zeros<double>(5, 2, 3), null, [Tensor.Zeros<double>(12, 3), Tensor.Zeros<double>(12, 4), Tensor.Zeros<double>(12, 3), Tensor.Zeros<double>(12, 5)], bias: false));
        Assert.That(ex!.Message, Does.Contain("weight_ih_l1 must have shape [12, 4]").And.Contain("got [12, 3]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LSTM(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new GRU(3, 4, numLayers: 0));
    }

    [Test]
    public void Called_through_Call_an_error_names_the_layer_and_the_call_site()
    {
        var lstm = new LSTM(3, 4);
        var ex = Assert.Throws<ArgumentException>(() => lstm.Call(Tensor.Zeros<float>(5, 2, 3), (Tensor.Zeros<float>(1, 2, 5), Tensor.Zeros<float>(1, 2, 4))));
        Assert.That(ex!.Message, Does.StartWith("LSTM in LSTM (3→4, 1 layer) called at").And.Contain(nameof(RecurrentLayerTests) + ".cs"));
        var cell = new GRUCell(3, 4);
        ex = Assert.Throws<ArgumentException>(() => cell.Call(Tensor.Zeros<float>(2, 4), Tensor.Zeros<float>(2, 4)));
        Assert.That(ex!.Message, Does.StartWith("GRUCell in GRUCell (3→4) called at"));
    }

    [Test]
    public void ToString_shows_the_configuration()
    {
        Assert.That(new LSTM(3, 4, numLayers: 2, batchFirst: true, dropout: 0.25).ToString(), Is.EqualTo("LSTM(in: 3, hidden: 4, layers: 2, bias: True, batchFirst: True, dropout: 0.25)"));
        Assert.That(new GRUCell(3, 4, bias: false).ToString(), Is.EqualTo("GRUCell(in: 3, hidden: 4, bias: False)"));
    }
}
