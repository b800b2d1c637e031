using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>x for x &gt; 0 and slope·x otherwise, elementwise (PyTorch's <c>nn.LeakyReLU</c>).</summary>
public sealed class LeakyReLU : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the activation.</summary>
    /// <param name="negativeSlope">The slope for x ≤ 0; PyTorch's default 0.01.</param>
    public LeakyReLU(double negativeSlope = 0.01)
    {
        Functional.CheckSlope(negativeSlope);
        NegativeSlope = negativeSlope;
    }

    /// <summary>The slope for x ≤ 0.</summary>
    public double NegativeSlope { get; }

    /// <summary>Applies the function elementwise; the result has the input's shape.</summary>
    /// <param name="input">The input, any shape.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"LeakyReLU(negativeSlope: {NegativeSlope})");
}

public static partial class Functional
{
    /// <summary>x for x &gt; 0, slope·x otherwise, elementwise; the derivative at 0 is the slope, as in PyTorch.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input, any shape.</param>
    /// <param name="negativeSlope">The slope for x ≤ 0.</param>
    public static Tensor<T> LeakyRelu<T>(Tensor<T> input, double negativeSlope = 0.01)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckSlope(negativeSlope);
        return input.LeakyRelu(negativeSlope);
    }

    internal static void CheckSlope(double negativeSlope)
    {
        if (!double.IsFinite(negativeSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(negativeSlope), negativeSlope, "LeakyReLU: the negative slope must be finite.");
        }
    }
}
