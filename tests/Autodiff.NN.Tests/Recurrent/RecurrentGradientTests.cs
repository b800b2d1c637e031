using FsCheck;
using FsCheck.Fluent;
using static Autodiff.NN.Tests.TestSupport;
using static Autodiff.Testing.Generators;

namespace Autodiff.NN.Tests.Recurrent;

/// <summary>
/// The recurrent layers' gradients against central differences in double, through the functional forms the layers
/// call (Functional.LSTMCell, GRUCell, LSTM, GRU): every input, initial state and parameter, on random sizes.
/// </summary>
[TestFixture]
public sealed class RecurrentGradientTests
{
    /// <summary>The outputs of a recurrent function as one vector, so that GradCheck compares the whole Jacobian.</summary>
    private static Tensor<double> Flat(params Tensor<double>[] parts) => Tensor.Concat(parts.Select(p => p.Reshape([-1])).ToArray());

    private static Gen<Tensor<double>> Values(params int[] shape) => TensorOf(shape, Uniform(-1.5, 1.5));

    [Test]
    public void LSTMCell_gradient_matches_finite_differences_for_input_state_and_every_parameter()
    {
        Gen<(Tensor<double>[] Inputs, bool Bias)> cases =
            from batch in Gen.Choose(1, 3)
            from inputs in Gen.Choose(1, 3)
            from hidden in Gen.Choose(1, 3)
            from bias in Gen.Elements(true, false)
            from x in Values(batch, inputs)
            from h in Values(batch, hidden)
            from c in Values(batch, hidden)
            from wIh in Values(4 * hidden, inputs)
            from wHh in Values(4 * hidden, hidden)
            from bIh in Values(4 * hidden)
            from bHh in Values(4 * hidden)
            select (bias ? new[] { x, h, c, wIh, wHh, bIh, bHh } : new[] { x, h, c, wIh, wHh }, bias);
        AssertGradientsForAll(cases, c => c.Inputs, c => t =>
        {
            (Tensor<double> h, Tensor<double> cNext) = Functional.LSTMCell(t[0], (t[1], t[2]), t[3], t[4], c.Bias ? t[5] : null, c.Bias ? t[6] : null);
            return Flat(h, cNext);
        });
    }

    [Test]
    public void GRUCell_gradient_matches_finite_differences_for_input_state_and_every_parameter()
    {
        Gen<(Tensor<double>[] Inputs, bool Bias)> cases =
            from batch in Gen.Choose(1, 3)
            from inputs in Gen.Choose(1, 3)
            from hidden in Gen.Choose(1, 3)
            from bias in Gen.Elements(true, false)
            from x in Values(batch, inputs)
            from h in Values(batch, hidden)
            from wIh in Values(3 * hidden, inputs)
            from wHh in Values(3 * hidden, hidden)
            from bIh in Values(3 * hidden)
            from bHh in Values(3 * hidden)
            select (bias ? new[] { x, h, wIh, wHh, bIh, bHh } : new[] { x, h, wIh, wHh }, bias);
        AssertGradientsForAll(cases, c => c.Inputs, c => t => Functional.GRUCell(t[0], t[1], t[2], t[3], c.Bias ? t[4] : null, c.Bias ? t[5] : null));
    }

    [Test]
    public void Unbatched_cells_have_the_same_gradients()
    {
        Tensor<double> x = Tensor.RandomNormal<double>([3], seed: 1), h = Tensor.RandomNormal<double>([2], seed: 2), c = Tensor.RandomNormal<double>([2], seed: 3);
        Tensor<double> w = Tensor.RandomNormal<double>([8, 3], seed: 4), u = Tensor.RandomNormal<double>([8, 2], seed: 5);
        GradCheck.Assert(t =>
        {
            (Tensor<double> hNext, Tensor<double> cNext) = Functional.LSTMCell(t[0], (t[1], t[2]), t[3], t[4]);
            return Flat(hNext, cNext);
        }, [x, h, c, w, u], Tight);
        GradCheck.Assert(t => Functional.GRUCell(t[0], t[1], t[2], t[3]), [x, h, w.Narrow(0, 0, 6), u.Narrow(0, 0, 6)], Tight);
    }

    /// <summary>A 2-layer network over 2 or 3 steps: backpropagation through time, through both layers, from every output.</summary>
    private static Gen<(Tensor<double>[] Inputs, bool BatchFirst, bool Bias, int Layers)> Sequences(int gates, bool cellState) =>
        from steps in Gen.Choose(2, 3)
        from batch in Gen.Choose(1, 2)
        from inputs in Gen.Choose(1, 3)
        from hidden in Gen.Choose(1, 2)
        from batchFirst in Gen.Elements(true, false)
        from bias in Gen.Elements(true, false)
        from x in Values(batchFirst ? [batch, steps, inputs] : [steps, batch, inputs])
        from h0 in Values(2, batch, hidden)
        from c0 in Values(2, batch, hidden)
        from l0 in Gen.CollectToArray(LayerWeights(gates, inputs, hidden, bias))
        from l1 in Gen.CollectToArray(LayerWeights(gates, hidden, hidden, bias))
        select ((Tensor<double>[])[x, h0, .. cellState ? new[] { c0 } : [], .. l0, .. l1], batchFirst, bias, 2);

    private static IEnumerable<Gen<Tensor<double>>> LayerWeights(int gates, int inputs, int hidden, bool bias)
    {
        yield return Values(gates * hidden, inputs);
        yield return Values(gates * hidden, hidden);
        if (bias)
        {
            yield return Values(gates * hidden);
            yield return Values(gates * hidden);
        }
    }

    [Test]
    public void LSTM_two_layers_over_a_few_steps_gradient_matches_finite_differences()
        => AssertGradientsForAll(Sequences(4, cellState: true), c => c.Inputs, c => t =>
        {
            (Tensor<double> output, Tensor<double> hN, Tensor<double> cN) = Functional.LSTM(t[0], (t[1], t[2]), t[3..], c.Bias, c.BatchFirst);
            return Flat(output, hN, cN);
        }, maxTest: 20);

    [Test]
    public void GRU_two_layers_over_a_few_steps_gradient_matches_finite_differences()
        => AssertGradientsForAll(Sequences(3, cellState: false), c => c.Inputs, c => t =>
        {
            (Tensor<double> output, Tensor<double> hN) = Functional.GRU(t[0], t[1], t[2..], c.Bias, c.BatchFirst);
            return Flat(output, hN);
        }, maxTest: 20);

    [Test]
    public void With_dropout_between_layers_the_gradient_is_that_of_the_masked_network()
    {
        // A fixed seed gives a fixed mask, so the function is smooth and can be checked like any other.
        Tensor<double> x = Tensor.RandomNormal<double>([3, 2, 2], seed: 1);
        // Two layers, in = H = 2: weight_ih and weight_hh are [8, 2], the biases [8].
        Tensor<double>[] weights = [.. Enumerable.Range(0, 8).Select(i => Tensor.RandomNormal<double>(i % 4 < 2 ? [8, 2] : [8], seed: 10 + i))];
        GradCheck.Assert(t =>
        {
            (Tensor<double> output, Tensor<double> hN, Tensor<double> cN) = Functional.LSTM(t[0], null, t[1..], dropout: 0.5, training: true, seed: 3);
            return Flat(output, hN, cN);
        }, [x, .. weights], Tight);
    }
}
