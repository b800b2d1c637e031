using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.NN;

/// <summary>
/// A multi-layer long short-term memory network over sequences (PyTorch's <c>nn.LSTM</c>): each layer runs the
/// <see cref="LSTMCell"/> recurrence over the time steps, and the hidden states of one layer are the input sequence of
/// the next.
/// </summary>
/// <remarks>
/// <para>
/// Input [T, B, in], or [B, T, in] with <c>batchFirst</c>, or unbatched [T, in]; the optional initial state (h₀, c₀)
/// has shape [layers, B, H] ([layers, H] unbatched) and is zeros when omitted. <c>Forward</c> returns, as TorchSharp's
/// <c>LSTM.forward</c> does, the output (the last layer's h at every step: [T, B, H] or [B, T, H]) and the final states
/// h_n and c_n ([layers, B, H]): <c>var (output, hN, cN) = lstm.Forward(x, (h0, c0));</c>
/// </para>
/// <para>
/// Parameters carry PyTorch's names and layouts, so its state dict loads without renaming: for each layer k,
/// <c>weight_ih_lk</c> [4H, in] (in = H above the first layer), <c>weight_hh_lk</c> [4H, H], <c>bias_ih_lk</c> [4H],
/// <c>bias_hh_lk</c> [4H], the gates stacked i, f, g, o. All start uniform in ±1/√H.
/// </para>
/// <para>
/// Each layer projects its whole input sequence with one <c>Linear</c> op and then runs one step per time step; the
/// backward pass (through time) comes from the tape. With <c>dropout</c> &gt; 0 each layer's output but the last is
/// passed through dropout in training mode, as in PyTorch (the masks are seeded, so they differ from PyTorch's).
/// Bidirectional networks and <c>proj_size</c> are not supported.
/// </para>
/// </remarks>
public sealed class LSTM : Module<Tensor<float>, (Tensor<float> Output, Tensor<float> HN, Tensor<float> CN)>
{
    private readonly RecurrentParameters _parameters;
    private readonly SeedStream _dropoutSeeds;

    /// <summary>Creates the network with PyTorch's initialisation.</summary>
    /// <param name="inputSize">Features of each input step.</param>
    /// <param name="hiddenSize">H, features of the hidden and cell states.</param>
    /// <param name="numLayers">Stacked layers.</param>
    /// <param name="bias">Whether the layers have the biases b_ih and b_hh.</param>
    /// <param name="batchFirst">Input and output are [B, T, features] rather than [T, B, features]; the states are always [layers, B, H].</param>
    /// <param name="dropout">Probability of dropping an element of each layer's output except the last's, in training mode.</param>
    /// <param name="seed">Seed of the initial weights (and of the dropout masks).</param>
    public LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false, double dropout = 0, int? seed = null)
    {
        int seedValue = seed ?? Generator.NextSeed();
        Functional.CheckDropoutProbability(dropout);
        _parameters = new RecurrentParameters(nameof(LSTM), inputSize, hiddenSize, numLayers, bias, 4, seedValue, cell: false);
        _dropoutSeeds = new SeedStream(unchecked((seedValue * 31) + 7));
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        HasBias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
    }

    /// <summary>Features of each input step.</summary>
    public int InputSize { get; }

    /// <summary>H, features of the hidden and cell states.</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have biases.</summary>
    public bool HasBias { get; }

    /// <summary>Whether input and output are [B, T, features].</summary>
    public bool BatchFirst { get; }

    /// <summary>The dropout probability between layers.</summary>
    public double Dropout { get; }

    /// <summary>The parameters of each layer, [weight_ih, weight_hh, bias_ih, bias_hh] (PyTorch's <c>all_weights</c>).</summary>
    public IReadOnlyList<IReadOnlyList<Tensor<float>>> AllWeights => _parameters.PerLayer;

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters() => _parameters.Named;

    /// <summary>Runs the sequence from the zero state; returns the output and the final states h_n, c_n.</summary>
    /// <param name="input">[T, B, in], [B, T, in] with <see cref="BatchFirst"/>, or unbatched [T, in].</param>
    public override (Tensor<float> Output, Tensor<float> HN, Tensor<float> CN) Forward(Tensor<float> input) => Forward(input, null);

    /// <summary>Runs the sequence from the initial state (h₀, c₀), each [layers, B, H] (null: zeros).</summary>
    /// <param name="input">[T, B, in], [B, T, in] with <see cref="BatchFirst"/>, or unbatched [T, in].</param>
    /// <param name="state">(h₀, c₀), or null for zeros.</param>
    /// <returns>The output ([T, B, H] or [B, T, H]) and the final states h_n, c_n ([layers, B, H]).</returns>
    public (Tensor<float> Output, Tensor<float> HN, Tensor<float> CN) Forward(Tensor<float> input, (Tensor<float> H0, Tensor<float> C0)? state)
    {
        bool drop = IsTraining && Dropout > 0 && NumLayers > 1;
        return Functional.LSTM(input, state, _parameters.Flat, HasBias, BatchFirst, Dropout, drop, drop ? _dropoutSeeds.Next() : 0);
    }

    /// <summary>
    /// <see cref="Forward(Tensor{float}, ValueTuple{Tensor{float}, Tensor{float}}?)"/> inside this layer's named scope,
    /// as <see cref="Module{TIn, TOut}.Call"/> does for the input alone.
    /// </summary>
    /// <param name="input">The input sequence.</param>
    /// <param name="state">(h₀, c₀).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public (Tensor<float> Output, Tensor<float> HN, Tensor<float> CN) Call(Tensor<float> input, (Tensor<float> H0, Tensor<float> C0) state, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        using CallScope scope = EnterCall(file, line);
        return Forward(input, state);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"LSTM(in: {InputSize}, hidden: {HiddenSize}, layers: {NumLayers}, bias: {HasBias}, batchFirst: {BatchFirst}, dropout: {Dropout})");

    internal override string Summary => string.Create(CultureInfo.InvariantCulture, $"{InputSize}→{HiddenSize}, {NumLayers} layer{(NumLayers == 1 ? "" : "s")}");
}

public static partial class Functional
{
    /// <summary>
    /// A multi-layer LSTM over a sequence, as <see cref="NN.LSTM"/> computes it, with the weights passed in PyTorch's
    /// flat order: weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l1, … (two per layer without biases).
    /// </summary>
    /// <remarks>
    /// Each layer projects the whole sequence once (x·W_ihᵀ + b_ih, one Op), then runs the recurrence of
    /// <see cref="LSTMCell{T}"/> step by step; its hidden states, stacked, are the next layer's input. Composed from the
    /// engine's ops, so the gradient (backpropagation through time) comes from the tape and can be checked in double.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">[T, B, in], [B, T, in] with <paramref name="batchFirst"/>, or unbatched [T, in].</param>
    /// <param name="state">(h₀, c₀), each [layers, B, H] ([layers, H] unbatched); null for zeros.</param>
    /// <param name="weights">The parameters, 4 per layer (2 without biases), in PyTorch's order.</param>
    /// <param name="bias">Whether <paramref name="weights"/> holds biases.</param>
    /// <param name="batchFirst">Input and output are [B, T, features].</param>
    /// <param name="dropout">Probability of dropout on each layer's output but the last's, applied when <paramref name="training"/>.</param>
    /// <param name="training">Apply the dropout.</param>
    /// <param name="seed">Seed of the dropout masks.</param>
    /// <returns>The output (the last layer's h at every step) and the final states h_n, c_n ([layers, B, H]).</returns>
    public static (Tensor<T> Output, Tensor<T> HN, Tensor<T> CN) LSTM<T>(Tensor<T> input, (Tensor<T> H0, Tensor<T> C0)? state, IReadOnlyList<Tensor<T>> weights,
        bool bias = true, bool batchFirst = false, double dropout = 0, bool training = false, int? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string Op = "LSTM";
        int dropoutSeed = seed ?? (training && dropout > 0 ? Generator.NextSeed() : 0);
        CheckDropoutProbability(dropout);
        (int layers, int hidden) = CheckRecurrentWeights(weights, bias, 4, Op);
        (Tensor<T> x, int steps, int batch, bool batched) = CheckSequence(input, weights[0].Shape[1], batchFirst, Op);
        int time = batched && batchFirst ? 1 : 0;   // the time axis of x and of the output
        int perLayer = bias ? 4 : 2;
        var hN = new Tensor<T>[layers];
        var cN = new Tensor<T>[layers];
        for (int layer = 0; layer < layers; layer++)
        {
            Tensor<T> weightIh = weights[layer * perLayer], weightHh = weights[(layer * perLayer) + 1];
            Tensor<T>? biasIh = bias ? weights[(layer * perLayer) + 2] : null, biasHh = bias ? weights[(layer * perLayer) + 3] : null;
            Tensor<T> h = InitialState(state?.H0, layer, layers, batch, hidden, batched, "h0", Op);
            Tensor<T> c = InitialState(state?.C0, layer, layers, batch, hidden, batched, "c0", Op);
            // Every step's x·W_ihᵀ + b_ih + b_hh at once, time first; then the recurrence as one fused op, whose rule walks
            // the steps back and forms ∂L/∂W_hh with one product (the cell, LSTMStep, is the same arithmetic per step).
            Tensor<T> projected = Linear(x, weightIh, biasIh);
            if (biasHh is not null)
            {
                projected = projected.Add(biasHh);
            }

            Tensor<T> states = Tensor.LstmRecurrence(time == 1 ? projected.Transpose(0, 1) : projected, h, c, weightHh);   // [2, T, B, H]
            Tensor<T> hiddenStates = states.Select(0, 0);                                                                      // [T, B, H]
            hN[layer] = hiddenStates.Select(0, steps - 1);
            cN[layer] = states.Select(0, 1).Select(0, steps - 1);
            x = time == 1 ? hiddenStates.Transpose(0, 1) : hiddenStates;
            if (training && dropout > 0 && layer < layers - 1)
            {
                x = Dropout(x, dropout, unchecked(dropoutSeed + layer), training: true);
            }
        }

        Tensor<T> hStacked = Tensor.Stack(hN), cStacked = Tensor.Stack(cN);
        return batched
            ? (x, hStacked, cStacked)
            : (x.Reshape([steps, hidden]), hStacked.Reshape([layers, hidden]), cStacked.Reshape([layers, hidden]));
    }
}
