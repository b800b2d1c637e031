using System.Globalization;

namespace Autodiff.NN;

/// <summary>
/// Multi-head attention (PyTorch's <c>nn.MultiheadAttention</c> with <c>batch_first=True</c>): the inputs [B, T, E]
/// projected to queries, keys and values by one packed weight, split into <see cref="NumHeads"/> heads of
/// E/H, attended with the engine's fused <see cref="Tensor.ScaledDotProductAttention{T}"/>, joined and projected out.
/// </summary>
/// <remarks>
/// Parameters by PyTorch's names and layouts, so that its state dict loads as is: "in_proj_weight" [3E, E] (the
/// query, key and value projections stacked), "in_proj_bias" [3E], "out_proj.weight" [E, E], "out_proj.bias" [E].
/// Initialised as PyTorch: Xavier-uniform in-projection, zero biases, the out-projection as a Linear layer.
/// </remarks>
public sealed class MultiheadAttention : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="embedDim">E, the model width.</param>
    /// <param name="numHeads">H; must divide E.</param>
    /// <param name="dropout">Dropout of the attention weights in training.</param>
    /// <param name="bias">Whether the projections have biases.</param>
    /// <param name="seed">Seed of the initial weights and of the dropout masks.</param>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0.0, bool bias = true, int? seed = null)
    {
        int seedValue = seed ?? Generator.NextSeed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embedDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numHeads);
        if (embedDim % numHeads != 0)
        {
            throw new ArgumentException($"MultiheadAttention: the embedding width {embedDim} is not divisible by the {numHeads} heads.", nameof(numHeads));
        }

        Functional.CheckDropoutProbability(dropout);
        EmbedDim = embedDim;
        NumHeads = numHeads;
        Dropout = dropout;
        _dropoutSeeds = new SeedStream(() => unchecked(seedValue + (++_calls * 7919)));
        InProjWeight = Tensor.Zeros<float>(3 * embedDim, embedDim);
        Init.XavierUniform<float>(InProjWeight.MutableSpan(), embedDim, 3 * embedDim, seedValue);
        InProjWeight.RequiresGrad();
        InProjBias = bias ? Tensor.Zeros<float>(3 * embedDim).RequiresGrad() : null;
        OutProj = new Linear(embedDim, embedDim, bias, unchecked((seedValue * 31) + 5));
        OutProj.Bias?.MutableSpan().Clear();
    }

    // The attention-dropout seeds: the layer's seed plus a multiple of the call count.
    private readonly SeedStream _dropoutSeeds;
    private int _calls;

    /// <summary>E.</summary>
    public int EmbedDim { get; }

    /// <summary>H.</summary>
    public int NumHeads { get; }

    /// <summary>The dropout rate of the attention weights in training.</summary>
    public double Dropout { get; }

    /// <summary>The stacked query, key and value projections [3E, E].</summary>
    public Tensor<float> InProjWeight { get; }

    /// <summary>Their biases [3E]; null without.</summary>
    public Tensor<float>? InProjBias { get; }

    /// <summary>The output projection.</summary>
    public Linear OutProj { get; }

    /// <summary>Self-attention of x [B, T, E] (no mask).</summary>
    /// <param name="input">x [B, T, E].</param>
    public override Tensor<float> Forward(Tensor<float> input) => Forward(input, input, input);

    /// <summary>
    /// Attention of <paramref name="query"/> [B, T, E] over <paramref name="key"/>/<paramref name="value"/> [B, S, E]
    /// (the same tensor for self-attention, which then takes one packed projection).
    /// </summary>
    /// <param name="query">[B, T, E].</param>
    /// <param name="key">[B, S, E].</param>
    /// <param name="value">[B, S, E].</param>
    /// <param name="attentionMask">An additive mask broadcasting to [B, H, T, S] (−∞ to block), as PyTorch's float <c>attn_mask</c>; or null.</param>
    /// <param name="keyPaddingMask">[B, S], non-zero at keys to ignore (PyTorch's <c>key_padding_mask</c>); or null.</param>
    /// <param name="causal">Block the keys after each query (<c>is_causal</c>).</param>
    public Tensor<float> Forward(Tensor<float> query, Tensor<float> key, Tensor<float> value, Tensor<float>? attentionMask = null, Tensor<float>? keyPaddingMask = null, bool causal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        using CallScope scope = IsRunning ? default : EnterCall(null, 0);
        int e = EmbedDim, h = NumHeads, dh = e / h;
        if (query.Rank != 3 || query.Shape[2] != e || key.Rank != 3 || key.Shape[2] != e || value.Rank != 3 || !value.Shape.SequenceEqual(key.Shape) || key.Shape[0] != query.Shape[0])
        {
            throw Functional.ShapeError(nameof(MultiheadAttention), $"query {Functional.Format(query.Shape)}, key {Functional.Format(key.Shape)}, value {Functional.Format(value.Shape)}: needs [B, T, {e}] and [B, S, {e}] (batch first).", nameof(query));
        }

        int b = query.Shape[0], t = query.Shape[1], s = key.Shape[1];
        Tensor<float> q, k, v;
        if (ReferenceEquals(query, key) && ReferenceEquals(key, value))
        {
            Tensor<float>[] qkv = Functional.Linear(query, InProjWeight, InProjBias).Chunk(3, -1);
            (q, k, v) = (qkv[0], qkv[1], qkv[2]);
        }
        else
        {
            q = Functional.Linear(query, InProjWeight.Narrow(0, 0, e), InProjBias?.Narrow(0, 0, e));
            k = Functional.Linear(key, InProjWeight.Narrow(0, e, e), InProjBias?.Narrow(0, e, e));
            v = Functional.Linear(value, InProjWeight.Narrow(0, 2 * e, e), InProjBias?.Narrow(0, 2 * e, e));
        }

        // [B, T, E] → [B, H, T, E/H]
        q = q.Reshape([b, t, h, dh]).Transpose(1, 2);
        k = k.Reshape([b, s, h, dh]).Transpose(1, 2);
        v = v.Reshape([b, s, h, dh]).Transpose(1, 2);
        Tensor<float>? mask = attentionMask;
        if (keyPaddingMask is not null)
        {
            if (!keyPaddingMask.Shape.SequenceEqual([b, s]))
            {
                throw Functional.ShapeError(nameof(MultiheadAttention), $"the key padding mask {Functional.Format(keyPaddingMask.Shape)} must be [B, S] = [{b}, {s}].", nameof(keyPaddingMask));
            }

            Tensor<float> padding = Tensor.Zeros<float>(b, 1, 1, s).MaskedFill(keyPaddingMask.Reshape([b, 1, 1, s]), float.NegativeInfinity);
            mask = mask is null ? padding : mask.Add(padding);
        }

        double p = IsTraining ? Dropout : 0.0;
        Tensor<float> attended = Tensor.ScaledDotProductAttention(q, k, v, mask, causal, p, p > 0 ? _dropoutSeeds.Next() : 0);
        return OutProj.CallAsChild(attended.Transpose(1, 2).Reshape([b, t, e]));
    }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters()
    {
        yield return ("in_proj_weight", InProjWeight);
        if (InProjBias is not null)
        {
            yield return ("in_proj_bias", InProjBias);
        }
    }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Module Module)> ChildModules()
    {
        yield return ("out_proj", OutProj);
    }

    internal override string Summary => string.Create(CultureInfo.InvariantCulture, $"{EmbedDim}, {NumHeads} heads");

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"MultiheadAttention(embed_dim: {EmbedDim}, num_heads: {NumHeads}, dropout: {Dropout})");
}
