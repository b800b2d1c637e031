using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// The parameters of a recurrent layer or cell, made and named as PyTorch makes them: per layer k, in this order,
/// <c>weight_ih_lk</c> [gates·H, in], <c>weight_hh_lk</c> [gates·H, H], <c>bias_ih_lk</c> [gates·H],
/// <c>bias_hh_lk</c> [gates·H] (a cell drops the <c>_lk</c>), every one drawn from U(−1/√H, 1/√H).
/// </summary>
internal sealed class RecurrentParameters
{
    private readonly (string Name, Tensor<float> Parameter)[] _named;

    /// <summary>Creates the parameters; validates the sizes with messages that name <paramref name="op"/>.</summary>
    /// <param name="op">The layer's name, for errors.</param>
    /// <param name="inputSize">Features of the input.</param>
    /// <param name="hiddenSize">H, features of the hidden state.</param>
    /// <param name="numLayers">Stacked layers (1 for a cell).</param>
    /// <param name="bias">Whether there are bias vectors.</param>
    /// <param name="gates">4 for an LSTM (i, f, g, o), 3 for a GRU (r, z, n).</param>
    /// <param name="seed">Seed of the initial values.</param>
    /// <param name="cell">A cell: names without the layer suffix.</param>
    public RecurrentParameters(string op, int inputSize, int hiddenSize, int numLayers, bool bias, int gates, int seed, bool cell)
    {
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1)
        {
            string name = inputSize < 1 ? nameof(inputSize) : hiddenSize < 1 ? nameof(hiddenSize) : nameof(numLayers);
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture,
                $"{op}: needs inputSize, hiddenSize and numLayers of at least 1, got inputSize = {inputSize}, hiddenSize = {hiddenSize}, numLayers = {numLayers}."));
        }

        // PyTorch's reset_parameters: init.uniform_(w, −1/√H, 1/√H) for every weight and bias. Kaiming-uniform with
        // fan-in H and gain √(1/3) has that bound (gain·√(3/H) = 1/√H); each tensor gets a seed of its own from one stream.
        double gain = Math.Sqrt(1.0 / 3.0);
        var seeds = new Random(seed);
        var named = new List<(string, Tensor<float>)>();
        for (int layer = 0; layer < numLayers; layer++)
        {
            string suffix = cell ? "" : string.Create(CultureInfo.InvariantCulture, $"_l{layer}");
            int layerInput = layer == 0 ? inputSize : hiddenSize;
            named.Add(("weight_ih" + suffix, Uniform([gates * hiddenSize, layerInput])));
            named.Add(("weight_hh" + suffix, Uniform([gates * hiddenSize, hiddenSize])));
            if (bias)
            {
                named.Add(("bias_ih" + suffix, Uniform([gates * hiddenSize])));
                named.Add(("bias_hh" + suffix, Uniform([gates * hiddenSize])));
            }
        }

        _named = [.. named];
        Flat = _named.Select(p => p.Parameter).ToArray();
        PerLayer = Enumerable.Range(0, numLayers)
            .Select(k => (IReadOnlyList<Tensor<float>>)Flat.Skip(k * (bias ? 4 : 2)).Take(bias ? 4 : 2).ToArray())
            .ToArray();

        Tensor<float> Uniform(int[] shape)
        {
            Tensor<float> t = Tensor.Zeros<float>(shape);
            Init.KaimingUniform<float>(t.MutableSpan(), hiddenSize, seeds.Next(), gain);
            return t.RequiresGrad();
        }
    }

    /// <summary>Every parameter in PyTorch's <c>_flat_weights</c> order (what the functional forms take).</summary>
    public IReadOnlyList<Tensor<float>> Flat { get; }

    /// <summary>The parameters of each layer: [weight_ih, weight_hh, bias_ih, bias_hh] (PyTorch's <c>all_weights</c>).</summary>
    public IReadOnlyList<IReadOnlyList<Tensor<float>>> PerLayer { get; }

    /// <summary>The parameters with their PyTorch names.</summary>
    public IEnumerable<(string Name, Tensor<float> Parameter)> Named => _named;
}

public static partial class Functional
{
    /// <summary>
    /// Checks the flat weight list of a recurrent network with <paramref name="gates"/> gates and returns the number of
    /// layers and H; each problem is an error naming the parameter as PyTorch does (weight_hh_l1, …).
    /// </summary>
    internal static (int Layers, int Hidden) CheckRecurrentWeights<T>(IReadOnlyList<Tensor<T>> weights, bool bias, int gates, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(weights);
        int perLayer = bias ? 4 : 2;
        if (weights.Count == 0 || weights.Count % perLayer != 0)
        {
            throw ShapeError(op, string.Create(CultureInfo.InvariantCulture,
                $"the weights must be {perLayer} tensors per layer (weight_ih, weight_hh{(bias ? ", bias_ih, bias_hh" : "")}), got {weights.Count}."), nameof(weights));
        }

        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i] is null)
            {
                throw new ArgumentNullException(nameof(weights), string.Create(CultureInfo.InvariantCulture, $"{op}: weight {i} is null."));
            }
        }

        int layers = weights.Count / perLayer;
        Tensor<T> hh0 = weights[1];
        if (hh0.Rank != 2 || hh0.Shape[1] < 1 || hh0.Shape[0] != gates * hh0.Shape[1])
        {
            throw ShapeError(op, $"weight_hh_l0 must have shape [{gates}·H, H], got {Format(hh0.Shape)}.", nameof(weights));
        }

        int hidden = hh0.Shape[1];
        for (int layer = 0; layer < layers; layer++)
        {
            string suffix = string.Create(CultureInfo.InvariantCulture, $"_l{layer}");
            // The first layer's input size is whatever weight_ih_l0 says (at least 1); above it, the input is h.
            CheckShape(weights[layer * perLayer], [gates * hidden, layer == 0 ? -1 : hidden], "weight_ih" + suffix);
            CheckShape(weights[(layer * perLayer) + 1], [gates * hidden, hidden], "weight_hh" + suffix);
            if (bias)
            {
                CheckShape(weights[(layer * perLayer) + 2], [gates * hidden], "bias_ih" + suffix);
                CheckShape(weights[(layer * perLayer) + 3], [gates * hidden], "bias_hh" + suffix);
            }
        }

        return (layers, hidden);

        // −1 in expected stands for any size of at least 1.
        void CheckShape(Tensor<T> t, int[] expected, string name)
        {
            bool fits = t.Rank == expected.Length;
            for (int d = 0; fits && d < expected.Length; d++)
            {
                fits = expected[d] < 0 ? t.Shape[d] >= 1 : t.Shape[d] == expected[d];
            }

            if (!fits)
            {
                string wanted = "[" + string.Join(", ", expected.Select(e => e < 0 ? "in" : e.ToString(CultureInfo.InvariantCulture))) + "]";
                throw ShapeError(op, $"{name} must have shape {wanted} (H = {hidden}, {gates} gates), got {Format(t.Shape)}.", nameof(weights));
            }
        }
    }

    /// <summary>
    /// Checks a recurrent input ([T, B, in], [B, T, in] with <paramref name="batchFirst"/>, or unbatched [T, in]) and
    /// returns it time-major or batch-first as rank 3, with T and B.
    /// </summary>
    internal static (Tensor<T> Input, int Steps, int Batch, bool Batched) CheckSequence<T>(Tensor<T> input, int inputSize, bool batchFirst, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        string layout = batchFirst ? "[B, T, in]" : "[T, B, in]";
        if ((input.Rank != 2 && input.Rank != 3) || input.Shape[^1] != inputSize)
        {
            throw ShapeError(op, string.Create(CultureInfo.InvariantCulture,
                $"input of shape {Format(input.Shape)} does not fit: expected {layout} (or unbatched [T, in]) with in = {inputSize}."), nameof(input));
        }

        bool batched = input.Rank == 3;
        // Unbatched [T, in] runs as a batch of one, time-major (PyTorch ignores batch_first for unbatched input).
        Tensor<T> x = batched ? input : input.Unsqueeze(1);
        int steps = batched && batchFirst ? x.Shape[1] : x.Shape[0];
        int batch = batched && batchFirst ? x.Shape[0] : x.Shape[1];
        if (steps < 1 || batch < 1)
        {
            throw ShapeError(op, $"input of shape {Format(input.Shape)} ({layout}) needs at least one time step and one sequence.", nameof(input));
        }

        return (x, steps, batch, batched);
    }

    /// <summary>
    /// Checks an initial state of shape [layers, B, H] ([layers, H] for unbatched input) and returns layer
    /// <paramref name="layer"/>'s slice as [B, H]; zeros when <paramref name="state"/> is null.
    /// </summary>
    internal static Tensor<T> InitialState<T>(Tensor<T>? state, int layer, int layers, int batch, int hidden, bool batched, string what, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (state is null)
        {
            return Tensor.Zeros<T>(batch, hidden);
        }

        int[] expected = batched ? [layers, batch, hidden] : [layers, hidden];
        if (!state.Shape.SequenceEqual(expected))
        {
            throw ShapeError(op, $"{what} of shape {Format(state.Shape)} does not fit: expected {Format(expected)} (layers, {(batched ? "B, " : "")}H).", what);
        }

        return state.Narrow(0, layer, 1).Reshape([batch, hidden]);
    }

    /// <summary>
    /// Checks a cell's input ([B, in] or unbatched [in]) and state ([B, H] or [H]) and returns them as rank 2.
    /// </summary>
    internal static (Tensor<T> Input, bool Batched) CheckCellInput<T>(Tensor<T> input, Tensor<T> weightIh, Tensor<T> weightHh, int gates, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weightIh);
        ArgumentNullException.ThrowIfNull(weightHh);
        if (weightHh.Rank != 2 || weightHh.Shape[1] < 1 || weightHh.Shape[0] != gates * weightHh.Shape[1])
        {
            throw ShapeError(op, $"weight_hh must have shape [{gates}·H, H], got {Format(weightHh.Shape)}.", nameof(weightHh));
        }

        int hidden = weightHh.Shape[1];
        if (weightIh.Rank != 2 || weightIh.Shape[0] != gates * hidden || weightIh.Shape[1] < 1)
        {
            throw ShapeError(op, $"weight_ih must have shape [{gates * hidden}, in] (H = {hidden}), got {Format(weightIh.Shape)}.", nameof(weightIh));
        }

        if ((input.Rank != 1 && input.Rank != 2) || input.Shape[^1] != weightIh.Shape[1] || (input.Rank == 2 && input.Shape[0] < 1))
        {
            throw ShapeError(op, $"input of shape {Format(input.Shape)} does not fit: expected [B, {weightIh.Shape[1]}] or unbatched [{weightIh.Shape[1]}].", nameof(input));
        }

        return input.Rank == 2 ? (input, true) : (input.Unsqueeze(0), false);
    }

    /// <summary>Checks a cell's state against the input's batch and returns it as [B, H].</summary>
    internal static Tensor<T> CheckCellState<T>(Tensor<T> state, int batch, int hidden, bool batched, string what, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(state, what);
        int[] expected = batched ? [batch, hidden] : [hidden];
        if (!state.Shape.SequenceEqual(expected))
        {
            throw ShapeError(op, $"{what} of shape {Format(state.Shape)} does not fit: expected {Format(expected)}.", what);
        }

        return batched ? state : state.Unsqueeze(0);
    }

    /// <summary>Checks a bias of a cell: null, or [gates·H].</summary>
    internal static void CheckCellBias<T>(Tensor<T>? bias, int length, string name, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != length))
        {
            throw ShapeError(op, string.Create(CultureInfo.InvariantCulture, $"{name} must have shape [{length}], got {Format(bias.Shape)}."), name);
        }
    }
}
