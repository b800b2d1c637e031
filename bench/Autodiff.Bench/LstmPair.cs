using System.Globalization;
using Autodiff.Examples;
using Autodiff.NN.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Autodiff.Bench;

/// <summary>
/// The CharTransformer example's LSTM twice: ours (<see cref="CharRnn"/>: an embedding, two stacked batch-first
/// <see cref="NN.LSTM"/> layers, a linear head) and a TorchSharp twin from LibTorch's own <c>nn.LSTM</c> (its fused
/// cell) with the same weights, copied by state-dict name; both trained by AdamW on the same batch of characters.
/// </summary>
internal sealed class LstmPair : IDisposable
{
    public const int Vocabulary = 96, Context = 128, Embedding = 64, Hidden = 256, Layers = 2, Batch = 32;
    private const double LearningRate = 1e-3, WeightDecay = 0.1;

    private readonly CharRnn _model = new(RecurrentKind.Lstm, Vocabulary, Embedding, Hidden, Layers, dropout: 0, seed: 7);
    private readonly AdamW _optimizer;
    private readonly Tape _tape = new();
    private readonly TorchSharp.Modules.Parameter _embedding, _headWeight, _headBias;
    private readonly TorchSharp.Modules.LSTM _lstm;
    private readonly optim.Optimizer _torchOptimizer;
    private readonly int[] _x, _y;
    private readonly torch.Tensor _torchX, _torchY;

    public LstmPair()
    {
        _optimizer = new AdamW(_model.Parameters(), LearningRate, weightDecay: WeightDecay);
        Dictionary<string, Tensor<float>> ours = _model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        torch.Tensor Copy(string name) => torch.tensor(ours[name].ToArray(), ours[name].ShapeArray().Select(d => (long)d).ToArray());
        _embedding = new TorchSharp.Modules.Parameter(Copy("embedding.weight"));
        _headWeight = new TorchSharp.Modules.Parameter(Copy("head.weight"));
        _headBias = new TorchSharp.Modules.Parameter(Copy("head.bias"));
        _lstm = nn.LSTM(Embedding, Hidden, Layers, batchFirst: true);
        using (torch.no_grad())
        {
            foreach ((string name, TorchSharp.Modules.Parameter p) in _lstm.named_parameters())
            {
                using torch.Tensor value = Copy("rnn." + name);
                p.copy_(value);
            }
        }

        _torchOptimizer = optim.AdamW([_embedding, .. _lstm.parameters(), _headWeight, _headBias], LearningRate, weight_decay: WeightDecay);
        var random = new Random(3);
        _x = [.. Enumerable.Range(0, Batch * Context).Select(_ => random.Next(Vocabulary))];
        _y = [.. Enumerable.Range(0, Batch * Context).Select(_ => random.Next(Vocabulary))];
        _torchX = torch.tensor(_x.Select(v => (long)v).ToArray(), [Batch * Context]);
        _torchY = torch.tensor(_y.Select(v => (long)v).ToArray(), [Batch * Context]);
    }

    /// <summary>Multiply–adds of one step: 3× the forward's (the input and hidden products of each layer, the head).</summary>
    public static double MultiplyAdds
    {
        get
        {
            double tokens = (double)Batch * Context;
            double perToken = (4.0 * Hidden * (Embedding + Hidden)) + ((Layers - 1) * 4.0 * Hidden * (2 * Hidden)) + (Hidden * Vocabulary);
            return 3 * tokens * perToken;
        }
    }

    /// <summary>Ours: zero-grad, forward, sequence cross-entropy, backward (through time), AdamW step on a reused tape.</summary>
    public float OurStep()
    {
        _tape.Reset();
        _optimizer.ZeroGrad();
        Tensor<float> loss = NN.Functional.CrossEntropy(_model.Forward(_x, Batch, Context), _y, ignoreIndex: -100);
        loss.Backward();
        _optimizer.Step();
        return loss.Item();
    }

    /// <summary>The same step in TorchSharp.</summary>
    public float TorchStep()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        _torchOptimizer.zero_grad();
        torch.Tensor x = _embedding.index_select(0, _torchX).view(Batch, Context, Embedding);
        (torch.Tensor h, _, _) = _lstm.call(x, null);
        torch.Tensor logits = nn.functional.linear(h, _headWeight, _headBias);
        torch.Tensor loss = nn.functional.cross_entropy(logits.view(-1, Vocabulary), _torchY);
        loss.backward();
        _torchOptimizer.step();
        return loss.item<float>();
    }

    /// <summary>Three steps on both sides; throws unless every loss agrees to float rounding.</summary>
    public void CheckAgreement()
    {
        for (int step = 0; step < 3; step++)
        {
            float ours = OurStep(), theirs = TorchStep();
            if (Math.Abs(ours - theirs) > 2e-4 * Math.Max(1, Math.Abs(theirs)))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"LSTM step {step}: loss {ours} (ours) vs {theirs} (TorchSharp)."));
            }
        }
    }

    public void Dispose()
    {
        _tape.Dispose();
        _torchOptimizer.Dispose();
        _lstm.Dispose();
        _embedding.Dispose();
        _headWeight.Dispose();
        _headBias.Dispose();
        _torchX.Dispose();
        _torchY.Dispose();
    }
}
