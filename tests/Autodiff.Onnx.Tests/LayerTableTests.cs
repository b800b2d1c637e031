namespace Autodiff.NN.OnnxTests;

/// <summary>
/// The exporter's layer table: each layer (and the models built from them) is exported from a sample batch of 3,
/// then run in ONNX Runtime on a batch of 5 other values (the batch axis is dynamic) and compared with the library's
/// forward pass on the same batch.
/// </summary>
[TestFixture]
public sealed class LayerTableTests
{
    /// <summary>Float32 agreement asked of every case: |ORT − ours| ≤ 1e-5·(1 + |ours|).</summary>
    private const double Tolerance = 1e-5;

    /// <summary>A case: the module, a way to make its inputs for a batch size, and its forward computation.</summary>
    public sealed record Case(string Name, Func<Module> Make, Func<int, int, (OnnxInput Input, object Value)[]> Inputs, Func<Module, OnnxArguments, IReadOnlyList<Tensor<float>>> Forward)
    {
        public override string ToString() => Name;
    }

    private static Func<int, int, (OnnxInput, object)[]> Floats(params int[] shape) => (batch, seed) =>
    {
        Tensor<float> x = Tensor.RandomNormal<float>([batch, .. shape], seed);
        return [(OnnxInput.Float("input", x), x)];
    };

    private static Func<Module, OnnxArguments, IReadOnlyList<Tensor<float>>> Plain
        => (m, a) => [((Module<Tensor<float>, Tensor<float>>)m).Forward(a.Float(0))];

    private static Case Layer(string name, Func<Module<Tensor<float>, Tensor<float>>> make, params int[] shape) => new(name, make, Floats(shape), Plain);

    private static BatchNorm2d TrainedBatchNorm2d(int channels)
    {
        // Running statistics and affine parameters away from their initial 0/1, so that each of them matters.
        var bn = new BatchNorm2d(channels);
        Tensor.RandomNormal<float>([channels], 11).Span.CopyTo(bn.RunningMean!.MutableSpan());
        Tensor.RandomUniform<float>([channels], 12, 0.5, 2.0).Span.CopyTo(bn.RunningVar!.MutableSpan());
        Tensor.RandomNormal<float>([channels], 13).Span.CopyTo(bn.Weight!.MutableSpan());
        Tensor.RandomNormal<float>([channels], 14).Span.CopyTo(bn.Bias!.MutableSpan());
        return bn;
    }

    public static IEnumerable<Case> Cases()
    {
        yield return Layer("Linear", () => new Linear(4, 3, seed: 1), 4);
        yield return Layer("Linear without bias", () => new Linear(4, 3, bias: false, seed: 1), 4);
        yield return Layer("ReLU, Sigmoid, Tanh", () => new Sequential(new Linear(4, 6, seed: 1), new ReLU(), new Linear(6, 6, seed: 2), new Sigmoid(), new Linear(6, 3, seed: 3), new Tanh()), 4);
        yield return Layer("GELU (exact)", () => new Sequential(new Linear(4, 6, seed: 1), new GELU()), 4);
        yield return Layer("LeakyReLU", () => new Sequential(new Linear(4, 6, seed: 1), new LeakyReLU(0.2)), 4);
        yield return Layer("Softmax", () => new Sequential(new Linear(4, 6, seed: 1), new Softmax()), 4);
        yield return Layer("LogSoftmax", () => new Sequential(new Linear(4, 6, seed: 1), new LogSoftmax()), 4);
        yield return Layer("Softmax over axis 1 of [B, 3, 4]", () => new Softmax(1), 3, 4);
        yield return Layer("Conv2d", () => new Conv2d(2, 3, 3, seed: 1), 2, 7, 7);
        yield return Layer("Conv2d stride 2 padding 1", () => new Conv2d(2, 3, 3, stride: 2, padding: 1, seed: 1), 2, 7, 7);
        yield return Layer("Conv2d dilation 2 no bias", () => new Conv2d(2, 3, 3, dilation: 2, bias: false, seed: 1), 2, 9, 9);
        yield return Layer("BatchNorm2d (eval)", () => TrainedBatchNorm2d(2), 2, 5, 5);
        yield return Layer("BatchNorm1d (eval)", () => new Sequential(new Linear(4, 6, seed: 1), new BatchNorm1d(6)), 4);
        yield return Layer("MaxPool2d", () => new MaxPool2d(2), 2, 6, 6);
        yield return Layer("MaxPool2d 3/2/1", () => new MaxPool2d(3, stride: 2, padding: 1), 2, 7, 7);
        yield return Layer("AvgPool2d", () => new AvgPool2d(2), 2, 6, 6);
        yield return Layer("AvgPool2d 3/2/1 (count_include_pad)", () => new AvgPool2d(3, stride: 2, padding: 1), 2, 7, 7);
        yield return Layer("Flatten", () => new Sequential(new Flatten(), new Linear(2 * 3 * 3, 4, seed: 1)), 2, 3, 3);
        yield return Layer("Dropout (eval)", () => new Sequential(new Linear(4, 6, seed: 1), new Dropout(0.5, seed: 2), new Linear(6, 2, seed: 3)), 4);
        yield return Layer("LayerNorm", () => new LayerNorm(8), 5, 8);
        yield return Layer("LayerNorm over two axes", () => new LayerNorm([5, 8]), 5, 8);
        yield return Layer("MultiheadAttention", () => new MultiheadAttention(8, 2, seed: 1), 5, 8);
        yield return new Case("MultiheadAttention causal", () => new MultiheadAttention(8, 2, seed: 1), Floats(5, 8),
            (m, a) => [((MultiheadAttention)m).Forward(a.Float(0), a.Float(0), a.Float(0), causal: true)]);
        yield return Layer("TransformerEncoderLayer (post-norm, ReLU)", () => new TransformerEncoderLayer(8, 2, 16, seed: 1), 5, 8);
        yield return Layer("TransformerEncoderLayer (pre-norm, GELU, causal)", () => new TransformerEncoderLayer(8, 2, 16, activation: TransformerActivation.Gelu, normFirst: true, causal: true, seed: 1), 5, 8);
        yield return new Case("Embedding", () => new Embedding(10, 4), (batch, seed) =>
        {
            int[] ids = [.. Enumerable.Range(0, batch * 6).Select(i => ((i * 7) + seed) % 10)];
            return [(OnnxInput.Tokens("tokens", ids, batch, 6), (ids, new[] { batch, 6 }))];
        }, (m, a) => [((Embedding)m).Forward(a.Tokens(0), a.Shape(0))]);
        yield return new Case("LSTM (2 layers, batch first)", () => new LSTM(4, 5, numLayers: 2, batchFirst: true, seed: 1), Floats(6, 4), (m, a) =>
        {
            (Tensor<float> output, Tensor<float> h, Tensor<float> c) = ((LSTM)m).Forward(a.Float(0));
            return [output, h, c];
        });
        yield return new Case("GRU (time first)", () => new GRU(4, 5, seed: 1), (batch, seed) =>
        {
            Tensor<float> x = Tensor.RandomNormal<float>([6, batch, 4], seed);
            return [(OnnxInput.Float("input", x, batchAxis: 1), x)];
        }, (m, a) =>
        {
            (Tensor<float> output, Tensor<float> h) = ((GRU)m).Forward(a.Float(0));
            return [output, h];
        });
        yield return new Case("Engine ops (elementwise, reductions, shapes)", () => new Linear(4, 4, seed: 1), Floats(3, 4), (m, a) =>
        {
            Tensor<float> x = ((Linear)m).Forward(a.Float(0).Reshape([-1, 4])).Reshape([-1, 3, 4]);
            Tensor<float> y = x.Mul(x).Add(1f).Sqrt().Div(x.Abs().Add(2f)).Sub(x.Exp().Mul(0.1f));
            Tensor<float> z = Tensor.Where(x.Gt(Tensor.Zeros<float>(1)), x.Clamp(-0.5f, 0.5f), x.Tanh().Neg());
            Tensor<float> w = Tensor.Concat([y, z], axis: 2).Narrow(2, 1, 6).Permute([0, 2, 1]);
            Tensor<float> p = w.MatMul(w.Transpose(1, 2)).Tril().Add(x.Max(-1, keepDim: true).Sum(1, keepDim: true));
            return [p.Softmax(-1).Log().Mean([1, 2]), x.LogSumExp([2]).Pow(2f), x.Sin().Mul(x.Cos()).Maximum(x.Sigmoid().RSub(1f))];
        });
        yield return new Case("Engine ops (norms, indexing, masks, stacking)", () => new Linear(4, 4, seed: 1), Floats(3, 4), (m, a) =>
        {
            var linear = (Linear)m;
            Tensor<float> x = linear.Forward(a.Float(0).Reshape([-1, 4])).Reshape([-1, 3, 4]);
            Tensor<float> r = Tensor.RmsNorm(x, [4], linear.Bias).Add(Tensor.RmsNorm(x, [3, 4]));
            Tensor<float> v = x.Var([2], keepDim: true).Add(x.Std([1], unbiased: false, keepDim: true).Mean([1, 2], keepDim: true));
            Tensor<float> picked = x.IndexSelect(2, [3, 0, 0, 1]).Add(x.IndexSelect(1, [2]));
            Tensor<float> masked = x.Triu(1).MaskedFill(x.Lt(Tensor.Zeros<float>(1)), -2f).Add(x.Eq(x.Max(-1, keepDim: true)));
            Tensor<float>[] parts = x.Chunk(2, axis: 2);
            Tensor<float> stacked = Tensor.Stack([parts[0], parts[1]], axis: 1).Select(1, 0).Unsqueeze(0).Squeeze(0);
            Tensor<float> other = x.Abs().Add(1f).RDiv(1f).Add(x.Softplus()).Sub(x.Sign().Mul(x.Min(1, keepDim: true)));
            return [r.Add(v).Add(masked), picked, stacked, other];
        });
        yield return Layer("Digits MLP (as examples/Digits)", () => new Sequential(new Linear(64, 64, seed: 3), new ReLU(), new Linear(64, 10, seed: 4)), 64);
        yield return Layer("Fashion-MNIST CNN (as examples/FashionMnistCnn)", () => new Sequential(
            new Conv2d(1, 32, kernelSize: 3, padding: 1, seed: 1), TrainedBatchNorm2d(32), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, kernelSize: 3, padding: 1, seed: 2), TrainedBatchNorm2d(64), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128, seed: 3), new ReLU(), new Dropout(0.3, seed: 4), new Linear(128, 10, seed: 5)), 1, 28, 28);
        yield return new Case("Char transformer (examples/CharTransformer's Gpt)", () => new Autodiff.Examples.Gpt(vocabulary: 20, context: 16, width: 16, layers: 2, heads: 2, dropout: 0.1, seed: 1), (batch, seed) =>
        {
            int[] ids = [.. Enumerable.Range(0, batch * 16).Select(i => ((i * 5) + seed) % 20)];
            return [(OnnxInput.Tokens("tokens", ids, batch, 16), (ids, new[] { batch, 16 }))];
        }, (m, a) => [((Autodiff.Examples.Gpt)m).Forward(a.Tokens(0), a.Shape(0)[0], a.Shape(0)[1])]);
    }

    [TestCaseSource(nameof(Cases))]
    public void Onnx_Runtime_agrees_with_the_library_on_another_batch_size(Case c)
    {
        Module module = c.Make();
        (OnnxInput Input, object Value)[] sample = c.Inputs(3, 1);
        byte[] model = Onnx.ToBytes(module, a => c.Forward(module, a), [.. sample.Select(s => s.Input)]);

        (OnnxInput Input, object Value)[] other = c.Inputs(5, 2);
        module.Eval();
        IReadOnlyList<Tensor<float>> expected;
        using (Autograd.NoGrad())
        {
            expected = c.Forward(module, new OnnxArguments([.. other.Select(o => o.Input)]));
        }

        double difference = OnnxRuntimeCheck.MaxRelativeDifference(model, [.. other.Select(o => o.Input)], [.. other.Select(o => o.Value)], expected);
        TestContext.Out.WriteLine($"{c.Name}: max |ORT − ours|/(1 + |ours|) = {difference:G3}, {model.Length:N0} bytes");
        Assert.That(difference, Is.LessThanOrEqualTo(Tolerance), c.Name);
    }
}
