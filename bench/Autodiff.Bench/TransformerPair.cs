using System.Globalization;
using Autodiff.Examples;
using Autodiff.NN;
using Autodiff.NN.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Autodiff.Bench;

/// <summary>
/// The CharTransformer example's model twice: ours (<see cref="Gpt"/>: pre-norm causal blocks of
/// <see cref="TransformerEncoderLayer"/>) and a TorchSharp twin written from LibTorch's functional ops (linear,
/// layer_norm, scaled_dot_product_attention, gelu) over the same weights, copied by state-dict name; both trained by
/// AdamW on the same batch of characters, so that a step can be compared number for number.
/// </summary>
internal sealed class TransformerPair : IDisposable
{
    public const int Vocabulary = 96, Context = 128, Width = 128, Layers = 4, Heads = 4, Batch = 32;
    private const double LearningRate = 1e-3, WeightDecay = 0.1;

    private readonly Gpt _model = new(Vocabulary, Context, Width, Layers, Heads, dropout: 0, seed: 7);
    private readonly AdamW _optimizer;
    private readonly Tape _tape = new();
    private readonly Dictionary<string, TorchSharp.Modules.Parameter> _torch = [];
    private readonly optim.Optimizer _torchOptimizer;
    private readonly int[] _x, _y;
    private readonly torch.Tensor _torchX, _torchY, _positions;

    public TransformerPair()
    {
        _optimizer = new AdamW(_model.Parameters(), LearningRate, weightDecay: WeightDecay);
        foreach ((string name, Tensor<float> p) in _model.NamedParameters())
        {
            _torch[name] = new TorchSharp.Modules.Parameter(torch.tensor(p.ToArray(), p.ShapeArray().Select(d => (long)d).ToArray()));
        }

        _torchOptimizer = optim.AdamW(_torch.Values, LearningRate, weight_decay: WeightDecay);
        var random = new Random(3);
        _x = [.. Enumerable.Range(0, Batch * Context).Select(_ => random.Next(Vocabulary))];
        _y = [.. Enumerable.Range(0, Batch * Context).Select(_ => random.Next(Vocabulary))];
        _torchX = torch.tensor(_x.Select(v => (long)v).ToArray(), [Batch * Context]);
        _torchY = torch.tensor(_y.Select(v => (long)v).ToArray(), [Batch * Context]);
        _positions = torch.arange(Context, dtype: ScalarType.Int64);
    }

    /// <summary>Multiply–adds of one step: 3× the forward's (2 for the backward), linear layers and attention.</summary>
    public static double MultiplyAdds
    {
        get
        {
            double tokens = (double)Batch * Context, perToken = Layers * ((4.0 * Width * Width) + (8.0 * Width * Width)) + (Width * Vocabulary);
            double attention = Layers * 2.0 * Batch * Context * Context * Width / 2; // causal: half the score matrix
            return 3 * ((tokens * perToken) + attention);
        }
    }

    /// <summary>Ours: zero-grad, forward, sequence cross-entropy, backward, AdamW step on a reused tape.</summary>
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
        torch.Tensor logits = TorchForward();
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
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"transformer step {step}: loss {ours} (ours) vs {theirs} (TorchSharp)."));
            }
        }
    }

    public void Dispose()
    {
        _tape.Dispose();
        _torchOptimizer.Dispose();
        foreach (torch.Tensor t in _torch.Values)
        {
            t.Dispose();
        }

        _torchX.Dispose();
        _torchY.Dispose();
        _positions.Dispose();
    }

    private torch.Tensor TorchForward()
    {
        const int HeadWidth = Width / Heads;
        torch.Tensor x = _torch["tok_emb.weight"].index_select(0, _torchX).view(Batch, Context, Width) + _torch["pos_emb.weight"].index_select(0, _positions);
        for (int l = 0; l < Layers; l++)
        {
            string b = $"blocks.{l}.";
            torch.Tensor h = nn.functional.layer_norm(x, [Width], _torch[b + "norm1.weight"], _torch[b + "norm1.bias"], 1e-5);
            torch.Tensor[] qkv = nn.functional.linear(h, _torch[b + "self_attn.in_proj_weight"], _torch[b + "self_attn.in_proj_bias"]).chunk(3, -1);
            torch.Tensor Heads4(torch.Tensor t) => t.view(Batch, Context, Heads, HeadWidth).transpose(1, 2);
            torch.Tensor a = nn.functional.scaled_dot_product_attention(Heads4(qkv[0]), Heads4(qkv[1]), Heads4(qkv[2]), null, 0, true)
                .transpose(1, 2).reshape(Batch, Context, Width);
            x = x + nn.functional.linear(a, _torch[b + "self_attn.out_proj.weight"], _torch[b + "self_attn.out_proj.bias"]);
            h = nn.functional.layer_norm(x, [Width], _torch[b + "norm2.weight"], _torch[b + "norm2.bias"], 1e-5);
            h = nn.functional.gelu(nn.functional.linear(h, _torch[b + "linear1.weight"], _torch[b + "linear1.bias"]));
            x = x + nn.functional.linear(h, _torch[b + "linear2.weight"], _torch[b + "linear2.bias"]);
        }

        x = nn.functional.layer_norm(x, [Width], _torch["ln_f.weight"], _torch["ln_f.bias"], 1e-5);
        return nn.functional.linear(x, _torch["head.weight"], _torch["head.bias"]);
    }
}
