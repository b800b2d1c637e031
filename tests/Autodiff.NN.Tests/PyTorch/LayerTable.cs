using Autodiff.Examples;

namespace Autodiff.NN.Tests.PyTorch;

/// <summary>
/// The layer table of the PyTorch round trip: every layer of Autodiff.NN and the three example models, each the twin
/// of the entry of the same name in tests/fixtures/pytorch/layers.py (same architecture, same state-dict keys).
/// </summary>
/// <param name="Name">The entry's name in layers.py, and the fixture's file name.</param>
/// <param name="Make">The library's model, initialised from a seed of its own (a loaded state dict replaces it all).</param>
/// <param name="Forward">The outputs, in order, for the fixture's named inputs (float32; token ids as floats).</param>
/// <param name="TrainBatches">Training-mode batches to run before evaluation (batch norm's statistics and counter).</param>
public sealed record LayerCase(string Name, Func<int, Module> Make, Func<Module, IReadOnlyDictionary<string, Tensor<float>>, Tensor<float>[]> Forward, int TrainBatches = 0)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The entries, in layers.py's order.</summary>
public static class LayerTable
{
    private static Tensor<float>[] Plain(Module m, IReadOnlyDictionary<string, Tensor<float>> x) => [((Module<Tensor<float>, Tensor<float>>)m).Forward(x["input"])];

    private static LayerCase Layer(string name, Func<int, Module<Tensor<float>, Tensor<float>>> make, int trainBatches = 0) => new(name, make, Plain, trainBatches);

    /// <summary>Token ids stored as floats (exact: they are small integers) back to ints.</summary>
    private static int[] Ids(Tensor<float> tokens) => [.. tokens.ToArray().Select(v => checked((int)v))];

    public static IEnumerable<LayerCase> Cases()
    {
        yield return Layer("linear", s => new Linear(5, 3, seed: s));
        yield return Layer("linear_no_bias", s => new Linear(5, 3, bias: false, seed: s));
        yield return Layer("conv2d", s => new Conv2d(2, 3, 3, stride: 2, padding: 1, seed: s));
        yield return Layer("conv2d_dilated", s => new Conv2d(2, 4, 3, dilation: 2, bias: false, seed: s));
        yield return Layer("batchnorm1d", s => new Sequential(new Linear(5, 6, seed: s), new BatchNorm1d(6)), trainBatches: 3);
        yield return Layer("batchnorm2d", _ => new BatchNorm2d(3), trainBatches: 3);
        yield return Layer("layernorm", _ => new LayerNorm(6));
        yield return Layer("layernorm_2d", _ => new LayerNorm([4, 6]));
        yield return Layer("rms_norm", _ => new RMSNorm([6], eps: 1e-5));
        yield return new LayerCase("embedding", s => new Embedding(10, 4, paddingIndex: 0, seed: s), (m, x) =>
        {
            Tensor<float> tokens = x["tokens"];
            return [((Embedding)m).Forward(Ids(tokens), tokens.ShapeArray())];
        });
        yield return Layer("activations", s => new Sequential(
            new Linear(5, 8, seed: s), new ReLU(), new Linear(8, 8, seed: s + 1), new Sigmoid(), new Linear(8, 8, seed: s + 2), new Tanh(),
            new Linear(8, 8, seed: s + 3), new GELU(), new Linear(8, 8, seed: s + 4), new LeakyReLU(0.2), new Dropout(0.5, seed: s + 5),
            new Linear(8, 4, seed: s + 6), new Softmax(-1)));
        yield return Layer("log_softmax", s => new Sequential(new Linear(5, 4, seed: s), new LogSoftmax(1)));
        yield return Layer("pools", s => new Sequential(
            new Conv2d(1, 2, 3, padding: 1, seed: s), new MaxPool2d(3, stride: 2, padding: 1), new AvgPool2d(3, stride: 2, padding: 1),
            new Flatten(), new Linear(8, 3, seed: s + 1)));
        yield return Layer("multihead_self_attention", s => new MultiheadAttention(8, 2, seed: s));
        yield return Layer("transformer_layer", s => new TransformerEncoderLayer(8, 2, 16, dropout: 0.1, seed: s));
        yield return Layer("transformer_layer_causal", s => new TransformerEncoderLayer(8, 2, 16, dropout: 0, TransformerActivation.Gelu, normFirst: true, causal: true, seed: s));
        yield return Layer("digits_mlp", s => new Sequential(new Linear(64, 64, seed: s), new ReLU(), new Linear(64, 10, seed: s + 1)));
        yield return Layer("fashion_cnn", s => new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1, seed: s), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1, seed: s + 1), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128, seed: s + 2), new ReLU(), new Dropout(0.3, seed: s + 3), new Linear(128, 10, seed: s + 4)), trainBatches: 2);
        yield return new LayerCase("char_gpt", s => new Gpt(vocabulary: 20, context: 16, width: 16, layers: 2, heads: 2, dropout: 0.1, seed: s), (m, x) =>
        {
            Tensor<float> tokens = x["tokens"];
            return [((Gpt)m).Forward(Ids(tokens), tokens.Shape[0], tokens.Shape[1])];
        });
    }
}
