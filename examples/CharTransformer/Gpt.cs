using Autodiff.NN;

namespace Autodiff.Examples;

/// <summary>
/// A decoder-only transformer over characters (GPT's shape): token and position embeddings, pre-norm causal blocks
/// (<see cref="TransformerEncoderLayer"/> with normFirst and causal, GELU, a 4× feed-forward), a final layer norm and
/// a linear head to next-character logits. Children by the names a PyTorch twin would use.
/// </summary>
public sealed class Gpt : Module
{

    public Gpt(int vocabulary, int context, int width, int layers, int heads, double dropout, int seed)
    {
        Context = context;
        TokenEmbedding = new Embedding(vocabulary, width, seed: seed);
        PositionEmbedding = new Embedding(context, width, seed: seed + 1);
        // GPT-2's initialisation of the embeddings: N(0, 0.02²) rather than nn.Embedding's N(0, 1).
        foreach (Tensor<float> w in new[] { TokenEmbedding.Weight, PositionEmbedding.Weight })
        {
            Span<float> values = w.MutableSpan();
            for (int i = 0; i < values.Length; i++)
            {
                values[i] *= 0.02f;
            }
        }

        Blocks = new Sequential(Enumerable.Range(0, layers).Select(i =>
            new TransformerEncoderLayer(width, heads, 4 * width, dropout, TransformerActivation.Gelu, normFirst: true, causal: true, seed: seed + (10 * (i + 1)))));
        FinalNorm = new LayerNorm(width);
        Head = new Linear(width, vocabulary, seed: seed + 2);
    }

    public int Context { get; }

    public Embedding TokenEmbedding { get; }

    public Embedding PositionEmbedding { get; }

    /// <summary>The causal pre-norm blocks, "blocks.0" … in the state dict.</summary>
    public Sequential Blocks { get; }

    public LayerNorm FinalNorm { get; }

    public Linear Head { get; }

    /// <summary>Next-symbol logits [B, T, V] for symbols [B, T] (row-major in <paramref name="symbols"/>).</summary>
    public Tensor<float> Forward(ReadOnlySpan<int> symbols, int batch, int length)
    {
        using var scope = Autograd.Scope("Gpt");
        int[] positions = new int[batch * length];
        for (int i = 0; i < positions.Length; i++)
        {
            positions[i] = i % length;
        }

        Tensor<float> x = TokenEmbedding.Forward(symbols, batch, length).Add(PositionEmbedding.Forward(positions.AsSpan(0, length), length));
        return Head.Call(FinalNorm.Call(Blocks.Call(x)));
    }

    protected override IEnumerable<(string Name, Module Module)> ChildModules()
    {
        yield return ("tok_emb", TokenEmbedding);
        yield return ("pos_emb", PositionEmbedding);
        yield return ("blocks", Blocks);

        yield return ("ln_f", FinalNorm);
        yield return ("head", Head);
    }
}
