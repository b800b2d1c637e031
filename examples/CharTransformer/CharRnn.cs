using Autodiff.NN;

namespace Autodiff.Examples;

/// <summary>Which recurrent layer a <see cref="CharRnn"/> stacks.</summary>
public enum RecurrentKind
{
    /// <summary><see cref="LSTM"/>: input, forget, cell and output gates, a cell state beside h.</summary>
    Lstm,

    /// <summary><see cref="GRU"/>: reset, update and new gates, h only.</summary>
    Gru,
}

/// <summary>
/// A recurrent model over characters (char-rnn's shape): an embedding, a stacked batch-first <see cref="LSTM"/> or
/// <see cref="GRU"/> run from a zero state over each window, and a linear head to next-character logits. Children by
/// the names a PyTorch twin would use ("embedding", "rnn", "head"), so that its state dict reads in PyTorch as is.
/// </summary>
public sealed class CharRnn : Module
{
    private readonly LSTM? _lstm;
    private readonly GRU? _gru;

    public CharRnn(RecurrentKind kind, int vocabulary, int embedding, int hidden, int layers, double dropout, int seed)
    {
        Kind = kind;
        Embedding = new Embedding(vocabulary, embedding, seed: seed);
        if (kind == RecurrentKind.Lstm)
        {
            _lstm = new LSTM(embedding, hidden, layers, batchFirst: true, dropout: dropout, seed: seed + 1);
        }
        else
        {
            _gru = new GRU(embedding, hidden, layers, batchFirst: true, dropout: dropout, seed: seed + 1);
        }

        Head = new Linear(hidden, vocabulary, seed: seed + 2);
    }

    public RecurrentKind Kind { get; }

    public Embedding Embedding { get; }

    /// <summary>The recurrent layer ("rnn" in the state dict).</summary>
    public Module Recurrent => (Module?)_lstm ?? _gru!;

    public Linear Head { get; }

    /// <summary>Next-symbol logits [B, T, V] for symbols [B, T] (row-major in <paramref name="symbols"/>).</summary>
    public Tensor<float> Forward(ReadOnlySpan<int> symbols, int batch, int length)
    {
        using var scope = Autograd.Scope(Kind == RecurrentKind.Lstm ? "CharLstm" : "CharGru");
        Tensor<float> x = Embedding.Forward(symbols, batch, length);
        Tensor<float> h = _lstm is not null ? _lstm.Call(x).Output : _gru!.Call(x).Output;
        return Head.Call(h);
    }

    protected override IEnumerable<(string Name, Module Module)> ChildModules()
    {
        yield return ("embedding", Embedding);
        yield return ("rnn", Recurrent);
        yield return ("head", Head);
    }
}
