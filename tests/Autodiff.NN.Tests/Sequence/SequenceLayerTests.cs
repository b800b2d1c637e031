using Autodiff.NN.Optim;

namespace Autodiff.NN.Tests.Sequence;

/// <summary>The sequence layers' shapes, PyTorch names and arithmetic, the sequence loss and the schedules.</summary>
[TestFixture]
public sealed class SequenceLayerTests
{
    [Test]
    public void Embedding_looks_up_rows_and_zeroes_the_padding_row()
    {
        var embedding = new Embedding(10, 4, paddingIndex: 0, seed: 3);
        Tensor<float> y = embedding.Forward([1, 0, 9, 1, 2, 3], 2, 3);
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(y.ToArray()[4..8], Is.All.EqualTo(0f));
        Assert.That(y.ToArray()[0..4], Is.EqualTo(embedding.Weight.ToArray()[4..8]));
        Assert.That(embedding.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
    }

    [Test]
    public void LayerNorm_normalises_each_row_to_mean_zero_and_variance_one()
    {
        var norm = new LayerNorm(8);
        Tensor<float> y = norm.Forward(Tensor.RandomNormal<float>([3, 5, 8], seed: 1, mean: 2, std: 3));
        float[] v = y.ToArray();
        for (int r = 0; r < 15; r++)
        {
            float[] row = v[(r * 8)..((r + 1) * 8)];
            Assert.That(row.Average(), Is.EqualTo(0f).Within(1e-5f));
            Assert.That(row.Select(x => x * x).Average(), Is.EqualTo(1f).Within(1e-3f));
        }

        Assert.That(norm.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
    }

    [Test]
    public void RMSNorm_divides_by_the_root_mean_square()
    {
        var norm = new RMSNorm([2], eps: 0);
        Assert.That(norm.Forward(Tensor.FromArray<float>([3f, 4f], 1, 2)).ToArray(), Is.EqualTo(new[] { 3f / MathF.Sqrt(12.5f), 4f / MathF.Sqrt(12.5f) }).Within(1e-6f));
    }

    [Test]
    public void MultiheadAttention_has_PyTorchs_parameter_names_and_shapes()
    {
        var attention = new MultiheadAttention(16, 4);
        Assert.That(attention.NamedParameters().Select(p => $"{p.Name} {Tensor.FormatShape(p.Parameter.Shape)}"),
            Is.EqualTo(new[] { "in_proj_weight [48, 16]", "in_proj_bias [48]", "out_proj.weight [16, 16]", "out_proj.bias [16]" }));
        Tensor<float> x = Tensor.RandomNormal<float>([2, 5, 16], seed: 2);
        Assert.That(attention.Call(x).ShapeArray(), Is.EqualTo(new[] { 2, 5, 16 }));
    }

    [Test]
    public void A_causal_layer_makes_each_position_independent_of_later_ones()
    {
        var layer = new TransformerEncoderLayer(8, 2, 16, dropout: 0, normFirst: true, causal: true, seed: 4);
        Tensor<float> x = Tensor.RandomNormal<float>([1, 6, 8], seed: 5);
        float[] before = layer.Call(x).ToArray();
        float[] changed = x.ToArray();
        changed[(5 * 8) + 3] += 10f; // the last position only
        float[] after = layer.Call(Tensor.FromArray<float>(changed, 1, 6, 8)).ToArray();
        Assert.That(after[..(5 * 8)], Is.EqualTo(before[..(5 * 8)]).Within(1e-6f));
        Assert.That(after[(5 * 8)..], Is.Not.EqualTo(before[(5 * 8)..]));
    }

    [Test]
    public void A_key_padding_mask_hides_the_padded_keys()
    {
        var attention = new MultiheadAttention(4, 1, seed: 6);
        Tensor<float> x = Tensor.RandomNormal<float>([1, 3, 4], seed: 7);
        Tensor<float> padding = Tensor.FromArray<float>([0f, 0f, 1f], 1, 3);
        float[] masked = attention.Forward(x, x, x, keyPaddingMask: padding).ToArray();
        float[] changed = x.ToArray();
        changed[8] += 5f; // the padded key (and value) itself
        Tensor<float> x2 = Tensor.FromArray<float>(changed, 1, 3, 4);
        float[] again = attention.Forward(x2, x.Add(Tensor.FromArray<float>(changed, 1, 3, 4).Sub(x)), x2, keyPaddingMask: padding).ToArray();
        Assert.That(again[..8], Is.EqualTo(masked[..8]).Within(1e-5f), "the first two queries do not see the padded key");
    }

    [Test]
    public void TransformerEncoderLayer_has_PyTorchs_state_dict_keys()
    {
        var layer = new TransformerEncoderLayer(8, 2, 32);
        Assert.That(layer.StateDict().Keys, Is.EqualTo(new[]
        {
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        }));
    }

    [Test]
    public void Sequence_cross_entropy_leaves_out_the_ignored_positions()
    {
        Tensor<double> logits = Tensor.FromArray<double>([1, 2, 0, 0, 3, 1, 2, 2, 2, 0, 1, 0], 2, 2, 3).RequiresGrad();
        int[] targets = [1, -100, 0, 2];
        using var tape = new Tape();
        Tensor<double> loss = Functional.CrossEntropy(logits, targets, ignoreIndex: -100);
        double Row(double a, double b, double c, int t) => Math.Log(Math.Exp(a) + Math.Exp(b) + Math.Exp(c)) - new[] { a, b, c }[t];
        double expected = (Row(1, 2, 0, 1) + Row(2, 2, 2, 0) + Row(0, 1, 0, 2)) / 3;
        Assert.That(loss.Item(), Is.EqualTo(expected).Within(1e-12));
        loss.Backward();
        Assert.That(logits.Grad!.ToArray()[3..6], Is.All.EqualTo(0.0), "no gradient at the ignored position");
    }

    [Test]
    public void Warmup_then_cosine_rises_linearly_and_falls_to_the_floor()
    {
        var optimizer = new SGD([Tensor.Zeros<float>(1).RequiresGrad()], learningRate: 1.0);
        var schedule = new WarmupCosineLR(optimizer, warmupSteps: 10, totalSteps: 110, etaMin: 0.1);
        Assert.That(optimizer.LearningRate, Is.EqualTo(0.0));
        Assert.That(schedule.LearningRateAt(5), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(schedule.LearningRateAt(10), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(schedule.LearningRateAt(60), Is.EqualTo(0.55).Within(1e-12));
        Assert.That(schedule.LearningRateAt(110), Is.EqualTo(0.1).Within(1e-12));
    }

    [Test]
    public void OneCycle_matches_PyTorchs_closed_form()
    {
        // PyTorch 1.13: OneCycleLR(max_lr=1, total_steps=100) gives 0.04 at step 0, 1.0 at step 29 and 4e-6 at step 99.
        var optimizer = new SGD([Tensor.Zeros<float>(1).RequiresGrad()], learningRate: 123);
        var schedule = new OneCycleLR(optimizer, 1.0, 100);
        Assert.That(optimizer.LearningRate, Is.EqualTo(0.04).Within(1e-12));
        Assert.That(schedule.LearningRateAt(29), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(schedule.LearningRateAt(99), Is.EqualTo(4e-6).Within(1e-15));
        Assert.That(schedule.LearningRateAt(14), Is.EqualTo(0.04 + ((1 - 0.04) / 2 * (1 - Math.Cos(Math.PI * 14 / 29)))).Within(1e-12));
    }

    [Test]
    public void Gradient_norm_clipping_scales_every_parameter_of_an_LSTM_and_a_transformer_block_together()
    {
        Module[] models = [new LSTM(3, 4, numLayers: 2, batchFirst: true, seed: 1), new TransformerEncoderLayer(8, 2, 16, dropout: 0, normFirst: true, causal: true, seed: 2)];
        Tensor<float>[] inputs = [Tensor.RandomNormal<float>([2, 5, 3], seed: 3), Tensor.RandomNormal<float>([2, 5, 8], seed: 4)];
        for (int m = 0; m < models.Length; m++)
        {
            Module model = models[m];
            using (var tape = new Tape())
            {
                Tensor<float> y = model is LSTM lstm ? lstm.Forward(inputs[m]).Output : ((TransformerEncoderLayer)model).Forward(inputs[m]);
                y.Mul(y).Sum().Mul(100f).Backward();   // large gradients, so that the clip acts
            }

            Tensor<float>[] parameters = [.. model.Parameters()];
            float[][] before = [.. parameters.Select(p => p.Grad!.ToArray())];
            double expected = Math.Sqrt(before.Sum(g => g.Sum(v => (double)v * v)));
            double norm = ClipGrad.ClipGradNorm(parameters, maxNorm: 1.0);
            Assert.That(norm, Is.EqualTo(expected).Within(1e-5 * expected), $"{model.GetType().Name}: the norm over all {parameters.Length} parameters");
            Assert.That(norm, Is.GreaterThan(1), "the clip acts");
            double after = Math.Sqrt(parameters.Sum(p => p.Grad!.ToArray().Sum(v => (double)v * v)));
            Assert.That(after, Is.EqualTo(1.0).Within(1e-5), "clipped to the max norm");
            for (int i = 0; i < parameters.Length; i++)
            {
                float[] g = parameters[i].Grad!.ToArray();
                for (int k = 0; k < g.Length; k++)
                {
                    Assert.That(g[k], Is.EqualTo(before[i][k] / norm).Within(1e-6 + (1e-5 * Math.Abs(before[i][k] / norm))), "one scale for all: the direction is kept");
                }
            }
        }
    }
}
