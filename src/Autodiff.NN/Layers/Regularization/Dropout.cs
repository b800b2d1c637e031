using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// Inverted dropout (PyTorch's <c>nn.Dropout</c>): in training, each element is zeroed with probability p and the
/// survivors are scaled by 1/(1 − p), so that the expected output equals the input and evaluation needs no
/// rescaling; in evaluation mode the layer is the identity.
/// </summary>
/// <remarks>
/// The masks come from a generator seeded at construction: each forward pass draws a fresh mask, and the sequence of
/// masks repeats from run to run.
/// </remarks>
public sealed class Dropout : Module<Tensor<float>, Tensor<float>>
{
    private readonly Random _random;

    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of zeroing an element, in [0, 1].</param>
    /// <param name="seed">Seed of the sequence of masks.</param>
    public Dropout(double p = 0.5, int seed = 0)
    {
        Functional.CheckDropoutProbability(p);
        P = p;
        _random = new Random(seed);
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>In training mode, the input with a fresh random mask applied; in evaluation mode, the input itself.</summary>
    /// <param name="input">The input, any shape.</param>
    public override Tensor<float> Forward(Tensor<float> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return IsTraining ? Functional.Dropout(input, P, _random.Next(), training: true) : input;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Dropout(p: {P})");
}

public static partial class Functional
{
    /// <summary>
    /// Inverted dropout with the mask drawn from <paramref name="seed"/>: x·m with m = 1/(1 − p) where an element is
    /// kept (probability 1 − p) and 0 where it is dropped; the identity when not <paramref name="training"/>.
    /// </summary>
    /// <remarks>
    /// A pure function of its arguments — the same seed gives the same mask — so it can be gradient-checked; the
    /// gradient is g·m. With p = 1 every element is dropped and the result is 0.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input, any shape.</param>
    /// <param name="p">The probability of dropping an element, in [0, 1].</param>
    /// <param name="seed">Seed of the mask.</param>
    /// <param name="training">Apply the mask; when false, return <paramref name="input"/>.</param>
    public static Tensor<T> Dropout<T>(Tensor<T> input, double p, int seed, bool training = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckDropoutProbability(p);
        if (!training || p == 0)
        {
            return input;
        }

        // Built directly as 0 or 1/(1 − p), so that p = 1 gives zeros rather than 0·∞.
        T scale = p < 1 ? T.CreateChecked(1.0 / (1.0 - p)) : T.Zero;
        Tensor<T> mask = Tensor.Zeros<T>(input.Shape);
        Span<T> m = mask.MutableSpan();
        var random = new Random(seed);
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = random.NextDouble() >= p ? scale : T.Zero;
        }

        return input.Mul(mask);
    }

    internal static void CheckDropoutProbability(double p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, string.Create(CultureInfo.InvariantCulture, $"Dropout: the drop probability must lie in [0, 1], got {p}."));
        }
    }
}
