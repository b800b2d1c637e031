using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.NN;

/// <summary>
/// One step of a gated recurrent unit (PyTorch's <c>nn.GRUCell</c>): from an input x and the hidden state h, the
/// reset gate r, the update gate z, the candidate n and the next state
/// <code>
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// </code>
/// </summary>
/// <remarks>
/// The reset gate multiplies W_hn h + b_hn, bias included, as in PyTorch (and cuDNN) — not h before the product, as in
/// the original paper. The parameters are PyTorch's, so its state dict loads without renaming: <c>weight_ih</c>
/// [3H, in], <c>weight_hh</c> [3H, H], <c>bias_ih</c> [3H], <c>bias_hh</c> [3H], the gates stacked r, z, n. Every one
/// starts uniform in ±1/√H.
/// </remarks>
public sealed class GRUCell : Module<Tensor<float>, Tensor<float>>
{
    private readonly RecurrentParameters _parameters;

    /// <summary>Creates the cell with PyTorch's initialisation.</summary>
    /// <param name="inputSize">Features of the input x.</param>
    /// <param name="hiddenSize">H, features of the hidden state.</param>
    /// <param name="bias">Whether to add the biases b_ih and b_hh.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, int? seed = null)
    {
        _parameters = new RecurrentParameters(nameof(GRUCell), inputSize, hiddenSize, 1, bias, 3, seed ?? Generator.NextSeed(), cell: true);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
    }

    /// <summary>Features of the input.</summary>
    public int InputSize { get; }

    /// <summary>H, features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary><c>weight_ih</c>, shape [3H, in]: the gates' input weights, stacked r, z, n.</summary>
    public Tensor<float> WeightIh => _parameters.Flat[0];

    /// <summary><c>weight_hh</c>, shape [3H, H]: the gates' recurrent weights, stacked r, z, n.</summary>
    public Tensor<float> WeightHh => _parameters.Flat[1];

    /// <summary><c>bias_ih</c>, shape [3H]; null without biases.</summary>
    public Tensor<float>? BiasIh => _parameters.Flat.Count > 2 ? _parameters.Flat[2] : null;

    /// <summary><c>bias_hh</c>, shape [3H]; null without biases.</summary>
    public Tensor<float>? BiasHh => _parameters.Flat.Count > 2 ? _parameters.Flat[3] : null;

    /// <inheritdoc/>
    protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters() => _parameters.Named;

    /// <summary>One step from the zero state: h' for input [B, in] (or unbatched [in]), shape [B, H] (or [H]).</summary>
    /// <param name="input">The input x.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Forward(input, null);

    /// <summary>One step: h' from input [B, in] and hidden state [B, H] (unbatched: [in] and [H]); null is zeros.</summary>
    /// <param name="input">The input x.</param>
    /// <param name="hidden">The hidden state h, or null for zeros.</param>
    public Tensor<float> Forward(Tensor<float> input, Tensor<float>? hidden)
        => Functional.GRUCell(input, hidden, WeightIh, WeightHh, BiasIh, BiasHh);

    /// <summary>
    /// <see cref="Forward(Tensor{float}, Tensor{float})"/> inside this layer's named scope, as
    /// <see cref="Module{TIn, TOut}.Call"/> does for the input alone.
    /// </summary>
    /// <param name="input">The input x.</param>
    /// <param name="hidden">The hidden state h.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<float> Call(Tensor<float> input, Tensor<float> hidden, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        using CallScope scope = EnterCall(file, line);
        return Forward(input, hidden);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"GRUCell(in: {InputSize}, hidden: {HiddenSize}, bias: {BiasIh is not null})");

    internal override string Summary => string.Create(CultureInfo.InvariantCulture, $"{InputSize}→{HiddenSize}");
}

public static partial class Functional
{
    /// <summary>
    /// One GRU step, as <see cref="NN.GRUCell"/> computes it: with a = x·W_ihᵀ + b_ih and b = h·W_hhᵀ + b_hh, each split
    /// into r, z, n (PyTorch's order), r = σ(a_r + b_r), z = σ(a_z + b_z), n = tanh(a_n + r ⊙ b_n),
    /// h' = (1 − z) ⊙ n + z ⊙ h.
    /// </summary>
    /// <remarks>Composed from the engine's ops: the backward pass comes from the tape.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [B, in] or unbatched [in].</param>
    /// <param name="hidden">h, shape [B, H] (or [H]); null for zeros.</param>
    /// <param name="weightIh">W_ih, shape [3H, in].</param>
    /// <param name="weightHh">W_hh, shape [3H, H].</param>
    /// <param name="biasIh">b_ih, shape [3H], or null.</param>
    /// <param name="biasHh">b_hh, shape [3H], or null.</param>
    /// <returns>h', shaped as <paramref name="hidden"/>.</returns>
    public static Tensor<T> GRUCell<T>(Tensor<T> input, Tensor<T>? hidden, Tensor<T> weightIh, Tensor<T> weightHh, Tensor<T>? biasIh = null, Tensor<T>? biasHh = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string Op = "GRUCell";
        (Tensor<T> x, bool batched) = CheckCellInput(input, weightIh, weightHh, 3, Op);
        int size = weightHh.Shape[1], batch = x.Shape[0];
        CheckCellBias(biasIh, 3 * size, "bias_ih", Op);
        CheckCellBias(biasHh, 3 * size, "bias_hh", Op);
        Tensor<T> h = hidden is null ? Tensor.Zeros<T>(batch, size) : CheckCellState(hidden, batch, size, batched, "h", Op);
        Tensor<T> next = GRUStep(Tensor.Linear(x, weightIh, biasIh), h, weightHh, biasHh, size);
        return batched ? next : next.Reshape([size]);
    }

    /// <summary>
    /// The GRU recurrence given the input's projection x·W_ihᵀ + b_ih ([B, 3H]): the one place where the gates are
    /// computed, for the cell and for every step of every layer of <see cref="GRU{T}"/>.
    /// </summary>
    internal static Tensor<T> GRUStep<T>(Tensor<T> projectedInput, Tensor<T> h, Tensor<T> weightHh, Tensor<T>? biasHh, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T> recurrent = Tensor.Linear(h, weightHh, biasHh);                     // [B, 3H], stacked r, z, n
        Tensor<T> rz = projectedInput.Narrow(1, 0, 2 * hidden).Add(recurrent.Narrow(1, 0, 2 * hidden)).Sigmoid();
        Tensor<T> r = rz.Narrow(1, 0, hidden), z = rz.Narrow(1, hidden, hidden);
        Tensor<T> n = projectedInput.Narrow(1, 2 * hidden, hidden).Add(r.Mul(recurrent.Narrow(1, 2 * hidden, hidden))).Tanh();
        return z.RSub(T.One).Mul(n).Add(z.Mul(h));                                      // (1 − z) ⊙ n + z ⊙ h
    }
}
