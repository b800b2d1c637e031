using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.NN;

/// <summary>
/// One step of a long short-term memory network (PyTorch's <c>nn.LSTMCell</c>): from an input x and the state (h, c),
/// the gates i, f, g, o and the next state
/// <code>
/// i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
/// g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
/// c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// The parameters are PyTorch's, so its state dict loads without renaming: <c>weight_ih</c> [4H, in],
/// <c>weight_hh</c> [4H, H], <c>bias_ih</c> [4H], <c>bias_hh</c> [4H], the four gates stacked in the order i, f, g, o
/// (rows 0…H−1 are the input gate). Every one starts uniform in ±1/√H, as in PyTorch.
/// </para>
/// <para>
/// c' = f ⊙ c + i ⊙ g is the multiplicative combination of note 003: ∂c'/∂f = c, ∂c'/∂i = g, ∂c'/∂c = f. The backward
/// pass comes from the tape.
/// </para>
/// </remarks>
public sealed class LSTMCell : Module<Tensor<float>, (Tensor<float> H, Tensor<float> C)>
{
    private readonly RecurrentParameters _parameters;

    /// <summary>Creates the cell with PyTorch's initialisation.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">H, features of the hidden state h and of the cell state c.</param>
    /// <param name="bias">Whether to add the biases b_ih and b_hh.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, int? seed = null)
    {
        _parameters = new RecurrentParameters(nameof(LSTMCell), inputSize, hiddenSize, 1, bias, 4, seed ?? Generator.NextSeed(), cell: true);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
    }

    /// <summary>Features of the input.</summary>
    public int InputSize { get; }

    /// <summary>H, features of the hidden and cell states.</summary>
    public int HiddenSize { get; }

    /// <summary><c>weight_ih</c>, shape [4H, in]: the gates' input weights, stacked i, f, g, o.</summary>
    public Tensor<float> WeightIh => _parameters.Flat[0];

    /// <summary><c>weight_hh</c>, shape [4H, H]: the gates' recurrent weights, stacked i, f, g, o.</summary>
    public Tensor<float> WeightHh => _parameters.Flat[1];

    /// <summary><c>bias_ih</c>, shape [4H]; null without biases.</summary>
    public Tensor<float>? BiasIh => _parameters.Flat.Count > 2 ? _parameters.Flat[2] : null;

    /// <summary><c>bias_hh</c>, shape [4H]; null without biases.</summary>
    public Tensor<float>? BiasHh => _parameters.Flat.Count > 2 ? _parameters.Flat[3] : null;

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters() => _parameters.Named;

    /// <summary>One step from the zero state: (h', c') for input [B, in] (or unbatched [in]), each [B, H] (or [H]).</summary>
    /// <param name="input">The input x.</param>
    public override (Tensor<float> H, Tensor<float> C) Forward(Tensor<float> input) => Forward(input, null);

    /// <summary>
    /// One step: (h', c') from input [B, in] and state (h, c), each [B, H] (unbatched: [in] and [H]); a null state is
    /// zeros, as in PyTorch.
    /// </summary>
    /// <param name="input">The input x.</param>
    /// <param name="state">The state (h, c), or null for zeros.</param>
    public (Tensor<float> H, Tensor<float> C) Forward(Tensor<float> input, (Tensor<float> H, Tensor<float> C)? state)
        => Functional.LSTMCell(input, state, WeightIh, WeightHh, BiasIh, BiasHh);

    /// <summary>
    /// <see cref="Forward(Tensor{float}, ValueTuple{Tensor{float}, Tensor{float}}?)"/> inside this layer's named scope,
    /// as <see cref="Module{TIn, TOut}.Call"/> does for the input alone.
    /// </summary>
    /// <param name="input">The input x.</param>
    /// <param name="state">The state (h, c).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public (Tensor<float> H, Tensor<float> C) Call(Tensor<float> input, (Tensor<float> H, Tensor<float> C) state, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        using CallScope scope = EnterCall(file, line);
        return Forward(input, state);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LSTMCell(in: {InputSize}, hidden: {HiddenSize}, bias: {BiasIh is not null})");

    internal override string Summary => string.Create(CultureInfo.InvariantCulture, $"{InputSize}→{HiddenSize}");
}

public static partial class Functional
{
    /// <summary>
    /// One LSTM step, as <see cref="NN.LSTMCell"/> computes it: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, split into
    /// i, f, g, o (PyTorch's order); c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c').
    /// </summary>
    /// <remarks>Composed from the engine's ops (Linear, Narrow, Sigmoid, Tanh, Mul, Add): the backward pass comes from the tape.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [B, in] or unbatched [in].</param>
    /// <param name="state">(h, c), each [B, H] (or [H]); null for zeros.</param>
    /// <param name="weightIh">W_ih, shape [4H, in].</param>
    /// <param name="weightHh">W_hh, shape [4H, H].</param>
    /// <param name="biasIh">b_ih, shape [4H], or null.</param>
    /// <param name="biasHh">b_hh, shape [4H], or null.</param>
    /// <returns>(h', c'), shaped as the state.</returns>
    public static (Tensor<T> H, Tensor<T> C) LSTMCell<T>(Tensor<T> input, (Tensor<T> H, Tensor<T> C)? state, Tensor<T> weightIh, Tensor<T> weightHh, Tensor<T>? biasIh = null, Tensor<T>? biasHh = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string Op = "LSTMCell";
        (Tensor<T> x, bool batched) = CheckCellInput(input, weightIh, weightHh, 4, Op);
        int hidden = weightHh.Shape[1], batch = x.Shape[0];
        CheckCellBias(biasIh, 4 * hidden, "bias_ih", Op);
        CheckCellBias(biasHh, 4 * hidden, "bias_hh", Op);
        (Tensor<T> h, Tensor<T> c) = state is { } s
            ? (CheckCellState(s.H, batch, hidden, batched, "h", Op), CheckCellState(s.C, batch, hidden, batched, "c", Op))
            : (Tensor.Zeros<T>(batch, hidden), Tensor.Zeros<T>(batch, hidden));

        (Tensor<T> hNext, Tensor<T> cNext) = LSTMStep(Tensor.Linear(x, weightIh, biasIh), h, c, weightHh, biasHh, hidden);
        return batched ? (hNext, cNext) : (hNext.Reshape([hidden]), cNext.Reshape([hidden]));
    }

    /// <summary>
    /// The LSTM recurrence given the input's projection x·W_ihᵀ + b_ih ([B, 4H]): the one place where the gates are
    /// computed, for the cell and for every step of every layer of <see cref="LSTM{T}"/>.
    /// </summary>
    internal static (Tensor<T> H, Tensor<T> C) LSTMStep<T>(Tensor<T> projectedInput, Tensor<T> h, Tensor<T> c, Tensor<T> weightHh, Tensor<T>? biasHh, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T> gates = projectedInput.Add(Tensor.Linear(h, weightHh, biasHh));   // [B, 4H], stacked i, f, g, o
        Tensor<T> i = gates.Narrow(1, 0, hidden).Sigmoid();
        Tensor<T> f = gates.Narrow(1, hidden, hidden).Sigmoid();
        Tensor<T> g = gates.Narrow(1, 2 * hidden, hidden).Tanh();
        Tensor<T> o = gates.Narrow(1, 3 * hidden, hidden).Sigmoid();
        Tensor<T> cNext = f.Mul(c).Add(i.Mul(g));                                     // ∂c'/∂f = c, ∂c'/∂i = g (note 003)
        return (o.Mul(cNext.Tanh()), cNext);
    }
}
