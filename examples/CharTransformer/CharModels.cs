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

/// <summary>The recurrent models: an LSTM or a GRU over the same windows.</summary>
public sealed class RecurrentModel(RecurrentKind kind, int vocabulary, int embedding, int hidden, int layers, double dropout, int seed) : ICharModel
{
    private readonly CharRnn _rnn = new(kind, vocabulary, embedding, hidden, layers, dropout, seed);

    public string Name => _rnn.Kind == RecurrentKind.Lstm ? "lstm" : "gru";

    public Module Module => _rnn;

    public Tensor<float> Logits(ReadOnlySpan<int> symbols, int batch, int length) => _rnn.Forward(symbols, batch, length);
}
