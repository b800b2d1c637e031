using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// Weight initialisers, seeded so that a run can be repeated: Xavier/Glorot and He/Kaiming, uniform and normal,
/// with PyTorch's formulas (<c>torch.nn.init</c>).
/// </summary>
/// <remarks>
/// Each keeps the variance of activations roughly constant from layer to layer: Xavier for tanh/sigmoid layers
/// (Var w = 2 / (fanIn + fanOut)), Kaiming for ReLU layers (Var w = 2 / fanIn, the gain √2 compensating for the
/// half of the inputs that ReLU zeroes).
/// </remarks>
public static class Init
{
    /// <summary>Fills with U(−a, a), a = gain·√(6 / (fanIn + fanOut)).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="weights">The weights to fill.</param>
    /// <param name="fanIn">Inputs per unit.</param>
    /// <param name="fanOut">Outputs per unit.</param>
    /// <param name="seed">Seed of the random stream.</param>
    /// <param name="gain">Scale for the activation that follows (1 for linear, tanh: 5/3).</param>
    public static void XavierUniform<T>(Span<T> weights, int fanIn, int fanOut, int seed, double gain = 1.0)
        where T : IFloatingPoint<T>
        => FillUniform(weights, gain * Math.Sqrt(6.0 / CheckFans(fanIn, fanOut)), seed);

    /// <summary>Fills with N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="weights">The weights to fill.</param>
    /// <param name="fanIn">Inputs per unit.</param>
    /// <param name="fanOut">Outputs per unit.</param>
    /// <param name="seed">Seed of the random stream.</param>
    /// <param name="gain">Scale for the activation that follows.</param>
    public static void XavierNormal<T>(Span<T> weights, int fanIn, int fanOut, int seed, double gain = 1.0)
        where T : IFloatingPoint<T>
        => FillNormal(weights, gain * Math.Sqrt(2.0 / CheckFans(fanIn, fanOut)), seed);

    /// <summary>Fills with U(−b, b), b = gain·√(3 / fanIn); the default gain √2 suits ReLU.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="weights">The weights to fill.</param>
    /// <param name="fanIn">Inputs per unit.</param>
    /// <param name="seed">Seed of the random stream.</param>
    /// <param name="gain">Scale for the activation that follows (√2 for ReLU).</param>
    public static void KaimingUniform<T>(Span<T> weights, int fanIn, int seed, double gain = 1.4142135623730951)
        where T : IFloatingPoint<T>
        => FillUniform(weights, gain * Math.Sqrt(3.0 / CheckFans(fanIn, 0)), seed);

    /// <summary>Fills with N(0, σ²), σ = gain / √fanIn; the default gain √2 suits ReLU.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="weights">The weights to fill.</param>
    /// <param name="fanIn">Inputs per unit.</param>
    /// <param name="seed">Seed of the random stream.</param>
    /// <param name="gain">Scale for the activation that follows (√2 for ReLU).</param>
    public static void KaimingNormal<T>(Span<T> weights, int fanIn, int seed, double gain = 1.4142135623730951)
        where T : IFloatingPoint<T>
        => FillNormal(weights, gain / Math.Sqrt(CheckFans(fanIn, 0)), seed);

    private static int CheckFans(int fanIn, int fanOut)
    {
        if (fanIn <= 0 || fanOut < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fanIn), $"Init: fan-in must be positive and fan-out non-negative (got fanIn = {fanIn}, fanOut = {fanOut}).");
        }

        return fanIn + fanOut;
    }

    private static void FillUniform<T>(Span<T> weights, double bound, int seed)
        where T : IFloatingPoint<T>
    {
        var random = new Random(seed);
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = T.CreateChecked(((2.0 * random.NextDouble()) - 1.0) * bound);
        }
    }

    private static void FillNormal<T>(Span<T> weights, double std, int seed)
        where T : IFloatingPoint<T>
    {
        var random = new Random(seed);
        for (int i = 0; i < weights.Length; i++)
        {
            // Box–Muller; 1 − U keeps the logarithm's argument in (0, 1].
            double r = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            weights[i] = T.CreateChecked(std * r * Math.Cos(2.0 * Math.PI * random.NextDouble()));
        }
    }

    /// <summary>
    /// A layer's weight and optional bias as PyTorch's <c>nn.Linear</c> and <c>nn.Conv2d</c> make them:
    /// <c>kaiming_uniform_(a = √5)</c>, i.e. U(−1/√fan_in, 1/√fan_in), for both; the bias from a seed of its own so that
    /// it is not a copy of the first weights. Both tensors require grad.
    /// </summary>
    internal static (Tensor<float> Weight, Tensor<float>? Bias) LayerParameters(int[] weightShape, int biasLength, bool bias, int fanIn, int seed)
    {
        double gain = Math.Sqrt(1.0 / 3.0); // with a = √5 the bound gain·√(3/fan_in) is 1/√fan_in
        Tensor<float> weight = Tensor.Zeros<float>(weightShape);
        KaimingUniform<float>(weight.MutableSpan(), fanIn, seed, gain);
        Tensor<float>? b = null;
        if (bias)
        {
            b = Tensor.Zeros<float>(biasLength);
            KaimingUniform<float>(b.MutableSpan(), fanIn, unchecked((seed * 31) + 17), gain);
            b.RequiresGrad();
        }

        return (weight.RequiresGrad(), b);
    }
}
