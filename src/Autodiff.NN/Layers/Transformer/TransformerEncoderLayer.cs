using System.Globalization;

namespace Autodiff.NN;

/// <summary>The activation of a transformer layer's feed-forward block.</summary>
public enum TransformerActivation
{
    /// <summary>max(x, 0), PyTorch's default.</summary>
    Relu,

    /// <summary>The exact GELU x·Φ(x).</summary>
    Gelu,
}

/// <summary>
/// A transformer layer of self-attention and a feed-forward block (PyTorch's <c>nn.TransformerEncoderLayer</c> with
/// <c>batch_first=True</c>), post-norm by default (x = norm1(x + attn(x)); x = norm2(x + ff(x))) or pre-norm with
/// <c>normFirst</c> (x = x + attn(norm1(x)); x = x + ff(norm2(x))). Pre-norm with <c>causal</c> is the block of a
/// decoder-only language model (GPT's), which PyTorch builds from this same class.
/// </summary>
/// <remarks>
/// Children by PyTorch's names, so that its state dict loads as is: self_attn (in_proj_weight, in_proj_bias,
/// out_proj.weight, out_proj.bias), linear1, linear2, norm1, norm2; dropout, dropout1 and dropout2 hold no parameters.
/// </remarks>
public sealed class TransformerEncoderLayer : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="dModel">The model width E.</param>
    /// <param name="nHead">The number of attention heads.</param>
    /// <param name="dimFeedforward">The feed-forward block's inner width.</param>
    /// <param name="dropout">Dropout after attention, inside and after the feed-forward block, as PyTorch.</param>
    /// <param name="activation">The feed-forward activation.</param>
    /// <param name="layerNormEps">ε of both layer norms.</param>
    /// <param name="normFirst">Pre-norm (true) or post-norm (PyTorch's default).</param>
    /// <param name="causal">Attend only to earlier positions in every forward pass (a decoder block).</param>
    /// <param name="seed">Seed of the initial weights and the dropout masks.</param>
    public TransformerEncoderLayer(int dModel, int nHead, int dimFeedforward = 2048, double dropout = 0.1, TransformerActivation activation = TransformerActivation.Relu,
        double layerNormEps = 1e-5, bool normFirst = false, bool causal = false, int? seed = null)
    {
        int seedValue = seed ?? Generator.NextSeed();
        SelfAttn = new MultiheadAttention(dModel, nHead, dropout, seed: seedValue);
        Linear1 = new Linear(dModel, dimFeedforward, seed: unchecked(seedValue + 1));
        Linear2 = new Linear(dimFeedforward, dModel, seed: unchecked(seedValue + 2));
        Norm1 = new LayerNorm([dModel], layerNormEps);
        Norm2 = new LayerNorm([dModel], layerNormEps);
        DropoutLayer = new Dropout(dropout, unchecked(seedValue + 3));
        Dropout1 = new Dropout(dropout, unchecked(seedValue + 4));
        Dropout2 = new Dropout(dropout, unchecked(seedValue + 5));
        Activation = activation;
        NormFirst = normFirst;
        Causal = causal;
    }

    /// <summary>The self-attention.</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The feed-forward block's first projection, E → inner width.</summary>
    public Linear Linear1 { get; }

    /// <summary>The feed-forward block's second projection, inner width → E.</summary>
    public Linear Linear2 { get; }

    /// <summary>The layer norm around the attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>The layer norm around the feed-forward block.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>The dropout inside the feed-forward block (PyTorch's <c>dropout</c>).</summary>
    public Dropout DropoutLayer { get; }

    /// <summary>The dropout after the attention.</summary>
    public Dropout Dropout1 { get; }

    /// <summary>The dropout after the feed-forward block.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>The feed-forward activation.</summary>
    public TransformerActivation Activation { get; }

    /// <summary>Pre-norm (true) or post-norm.</summary>
    public bool NormFirst { get; }

    /// <summary>Whether every forward pass is causal.</summary>
    public bool Causal { get; }

    /// <summary>The layer applied to x [B, T, E], causal if the layer was built so.</summary>
    /// <param name="input">x [B, T, E].</param>
    public override Tensor<float> Forward(Tensor<float> input) => Forward(input, null, null, Causal);

    /// <summary>The layer applied to x [B, T, E] with PyTorch's masks.</summary>
    /// <param name="input">x [B, T, E].</param>
    /// <param name="mask">An additive attention mask (<c>src_mask</c>), or null.</param>
    /// <param name="keyPaddingMask">[B, T], non-zero at positions to ignore (<c>src_key_padding_mask</c>), or null.</param>
    /// <param name="causal">Attend only to earlier positions (<c>is_causal</c>).</param>
    public Tensor<float> Forward(Tensor<float> input, Tensor<float>? mask, Tensor<float>? keyPaddingMask, bool causal)
    {
        ArgumentNullException.ThrowIfNull(input);
        using CallScope scope = IsRunning ? default : EnterCall(null, 0);
        Tensor<float> x = input;
        if (NormFirst)
        {
            x = x.Add(SelfAttention(Norm1.CallAsChild(x), mask, keyPaddingMask, causal));
            return x.Add(FeedForward(Norm2.CallAsChild(x)));
        }

        x = Norm1.CallAsChild(x.Add(SelfAttention(x, mask, keyPaddingMask, causal)));
        return Norm2.CallAsChild(x.Add(FeedForward(x)));
    }

    private Tensor<float> SelfAttention(Tensor<float> x, Tensor<float>? mask, Tensor<float>? keyPaddingMask, bool causal)
    {
        using CallScope scope = SelfAttn.EnterCall(null, 0);
        return Dropout1.CallAsChild(SelfAttn.Forward(x, x, x, mask, keyPaddingMask, causal));
    }

    private Tensor<float> FeedForward(Tensor<float> x)
    {
        Tensor<float> hidden = Linear1.CallAsChild(x);
        hidden = Activation == TransformerActivation.Gelu ? hidden.Gelu() : hidden.Relu();
        return Dropout2.CallAsChild(Linear2.CallAsChild(DropoutLayer.CallAsChild(hidden)));
    }

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Module Module)> ChildModules()
    {
        yield return ("self_attn", SelfAttn);
        yield return ("linear1", Linear1);
        yield return ("dropout", DropoutLayer);
        yield return ("linear2", Linear2);
        yield return ("norm1", Norm1);
        yield return ("norm2", Norm2);
        yield return ("dropout1", Dropout1);
        yield return ("dropout2", Dropout2);
    }

    internal override string Summary => string.Create(CultureInfo.InvariantCulture, $"{SelfAttn.EmbedDim}, {SelfAttn.NumHeads} heads{(NormFirst ? ", pre-norm" : "")}{(Causal ? ", causal" : "")}");

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"TransformerEncoderLayer(d_model: {SelfAttn.EmbedDim}, nhead: {SelfAttn.NumHeads}, dim_feedforward: {Linear1.OutFeatures}, activation: {Activation}, norm_first: {NormFirst})");
}
