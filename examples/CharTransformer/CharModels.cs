using Autodiff.NN;

namespace Autodiff.Examples;

/// <summary>A next-character model: logits [B, T, V] for symbols [B, T], and the module whose parameters it trains.</summary>
public interface ICharModel
{
    string Name { get; }

    Module Module { get; }

    Tensor<float> Logits(ReadOnlySpan<int> symbols, int batch, int length);
}

/// <summary>The decoder-only transformer.</summary>
public sealed class TransformerModel(int vocabulary, int context, int width, int layers, int heads, double dropout, int seed) : ICharModel
{
    private readonly Gpt _gpt = new(vocabulary, context, width, layers, heads, dropout, seed);

    public string Name => "transformer";

    public Module Module => _gpt;

    public Tensor<float> Logits(ReadOnlySpan<int> symbols, int batch, int length) => _gpt.Forward(symbols, batch, length);
}
