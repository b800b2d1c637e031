using System.Globalization;

namespace Autodiff.NN;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> vectors of <see cref="EmbeddingDim"/> (PyTorch's <c>nn.Embedding</c>):
/// indices [*] give vectors [*, D]. The weight is N(0, 1) to start, as PyTorch, and the padding row (if any) zero.
/// </summary>
/// <remarks>The state dict holds one tensor, "weight" [V, D], as PyTorch's.</remarks>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    /// <param name="numEmbeddings">V, the number of rows.</param>
    /// <param name="embeddingDim">D, the length of each vector.</param>
    /// <param name="paddingIndex">A row that is zero to start and gets no gradient (PyTorch's <c>padding_idx</c>), or null.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIndex = null, int? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numEmbeddings);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingDim);
        if (paddingIndex is int p && (uint)p >= (uint)numEmbeddings)
        {
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), paddingIndex, $"Embedding: the padding index must be a row in [0, {numEmbeddings}).");
        }

        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIndex = paddingIndex;
        Weight = Tensor.RandomNormal<float>([numEmbeddings, embeddingDim], seed: seed ?? Generator.NextSeed());
        if (paddingIndex is int pad)
        {
            Weight.MutableSpan().Slice(pad * embeddingDim, embeddingDim).Clear();
        }

        Weight.RequiresGrad();
    }

    /// <summary>V, the number of rows.</summary>
    public int NumEmbeddings { get; }

    /// <summary>D, the length of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row whose lookups pass no gradient back, or null.</summary>
    public int? PaddingIndex { get; }

    /// <summary>The table [V, D].</summary>
    public Tensor<float> Weight { get; }

    /// <summary>The vectors of <paramref name="indices"/>, shaped [<paramref name="shape"/>…, D] ([n, D] for a flat list).</summary>
    /// <param name="indices">Row indices in [0, V), row-major.</param>
    /// <param name="shape">Their shape, e.g. [B, T]; empty for a flat list.</param>
    public Tensor<float> Forward(ReadOnlySpan<int> indices, params ReadOnlySpan<int> shape)
    {
        using CallScope scope = IsRunning ? default : EnterCall(null, 0);
        return Tensor.Embedding(Weight, indices, shape, PaddingIndex);
    }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters()
    {
        yield return ("weight", Weight);
    }

    internal override string Summary => string.Create(CultureInfo.InvariantCulture, $"{NumEmbeddings}×{EmbeddingDim}");

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Embedding({NumEmbeddings}, {EmbeddingDim}{(PaddingIndex is int p ? $", padding_idx: {p}" : "")})");
}
