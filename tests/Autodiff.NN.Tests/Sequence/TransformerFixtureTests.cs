using static Autodiff.NN.Tests.Recurrent.PyTorchFixtures;

namespace Autodiff.NN.Tests.Sequence;

/// <summary>
/// TransformerEncoderLayer (pre-norm causal with GELU, post-norm with ReLU and a key padding mask) and a
/// cross-attention MultiheadAttention against PyTorch 1.13: PyTorch's state dicts load strictly, with no renaming,
/// and the outputs and the gradients of a fixed loss w.r.t. the inputs and every parameter agree to 1e-5 relative.
/// The fixtures are committed (tests/fixtures/pytorch, made by make_fixtures.py).
/// </summary>
[TestFixture]
public sealed class TransformerFixtureTests
{
    private const int Width = 8, Heads = 2, Inner = 16;

    [Test]
    public void Pre_norm_causal_GELU_layer_matches_PyTorch_with_its_float_causal_mask()
    {
        (Dictionary<string, Tensor<float>> state, Dictionary<string, Tensor<float>> data) = Load("transformer_prenorm");
        var layer = new TransformerEncoderLayer(Width, Heads, Inner, dropout: 0, TransformerActivation.Gelu, normFirst: true, causal: true, seed: 99);
        layer.LoadStateDict(state, strict: true);
        Tensor<float> x = data["input"].Clone().RequiresGrad();

        Tensor<float> y;
        using (var tape = new Tape())
        {
            y = layer.Forward(x);
            y.Mul(data["loss_weight.output"]).Sum().Backward();
        }

        AssertClose("transformer_prenorm", [("output", y, data["output"]), ("grad.input", x.Grad!, data["grad.input"]), .. ParameterGradients(layer, data)]);
    }

    [Test]
    public void Post_norm_ReLU_layer_matches_PyTorch_with_a_key_padding_mask()
    {
        (Dictionary<string, Tensor<float>> state, Dictionary<string, Tensor<float>> data) = Load("transformer_postnorm");
        var layer = new TransformerEncoderLayer(Width, Heads, Inner, dropout: 0, seed: 99);
        layer.LoadStateDict(state, strict: true);
        Tensor<float> x = data["input"].Clone().RequiresGrad();
        int batch = x.Shape[0], length = x.Shape[1];
        var padding = Tensor.Zeros<float>([batch, length]);
        padding.MutableSpan()[(2 * length) - 2] = 1;   // the last two keys of the second sequence, as the script pads
        padding.MutableSpan()[(2 * length) - 1] = 1;

        Tensor<float> y;
        using (var tape = new Tape())
        {
            y = layer.Forward(x, mask: null, keyPaddingMask: padding, causal: false);
            y.Mul(data["loss_weight.output"]).Sum().Backward();
        }

        AssertClose("transformer_postnorm", [("output", y, data["output"]), ("grad.input", x.Grad!, data["grad.input"]), .. ParameterGradients(layer, data)]);
    }

    [Test]
    public void Cross_attention_matches_PyTorch_MultiheadAttention()
    {
        (Dictionary<string, Tensor<float>> state, Dictionary<string, Tensor<float>> data) = Load("multihead_attention");
        var attention = new MultiheadAttention(Width, Heads, seed: 99);
        attention.LoadStateDict(state, strict: true);
        Tensor<float> q = data["query"].Clone().RequiresGrad(), k = data["key"].Clone().RequiresGrad(), v = data["value"].Clone().RequiresGrad();

        Tensor<float> y;
        using (var tape = new Tape())
        {
            y = attention.Forward(q, k, v);
            y.Mul(data["loss_weight.output"]).Sum().Backward();
        }

        AssertClose("multihead_attention", [
            ("output", y, data["output"]), ("grad.query", q.Grad!, data["grad.query"]), ("grad.key", k.Grad!, data["grad.key"]),
            ("grad.value", v.Grad!, data["grad.value"]), .. ParameterGradients(attention, data)]);
    }

    [Test]
    public void The_library_state_dicts_have_PyTorch_keys_order_and_shapes()
    {
        (string Fixture, Module Model)[] twins = [
            ("transformer_prenorm", new TransformerEncoderLayer(Width, Heads, Inner, normFirst: true)),
            ("transformer_postnorm", new TransformerEncoderLayer(Width, Heads, Inner)),
            ("multihead_attention", new MultiheadAttention(Width, Heads))];
        foreach ((string fixture, Module model) in twins)
        {
            Dictionary<string, Tensor<float>> pytorch = Load(fixture).State;
            OrderedDictionary<string, Tensor<float>> ours = model.StateDict();
            Assert.That(ours.Keys, Is.EqualTo(pytorch.Keys), $"{fixture}: keys, in PyTorch's order");
            Assert.That(ours.Select(p => p.Value.ShapeArray()), Is.EqualTo(pytorch.Values.Select(t => t.ShapeArray())), $"{fixture}: shapes");
        }
    }

    private static IEnumerable<(string, Tensor<float>, Tensor<float>)> ParameterGradients(Module model, Dictionary<string, Tensor<float>> data)
        => model.NamedParameters().Select(p => ("grad." + p.Name, p.Parameter.Grad!, data["grad." + p.Name]));
}
