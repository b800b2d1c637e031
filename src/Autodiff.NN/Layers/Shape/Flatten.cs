using System.Globalization;
using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// Merges the axes after the batch axis into one (PyTorch's <c>nn.Flatten</c>): [N, C, H, W] becomes [N, C·H·W],
/// the bridge from convolutional to fully connected layers.
/// </summary>
public sealed class Flatten : Module<Tensor<float>, Tensor<float>>
{
    /// <summary>Creates the layer.</summary>
    /// <param name="startAxis">The first axis merged (1: keep the batch axis).</param>
    /// <param name="endAxis">The last axis merged; negative counts from the end.</param>
    public Flatten(int startAxis = 1, int endAxis = -1)
    {
        StartAxis = startAxis;
        EndAxis = endAxis;
    }

    /// <summary>The first axis merged.</summary>
    public int StartAxis { get; }

    /// <summary>The last axis merged.</summary>
    public int EndAxis { get; }

    /// <summary>The same elements with axes <see cref="StartAxis"/> … <see cref="EndAxis"/> merged.</summary>
    /// <param name="input">The input.</param>
    public override Tensor<float> Forward(Tensor<float> input) => Functional.Flatten(input, StartAxis, EndAxis);

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Flatten(start: {StartAxis}, end: {EndAxis})");
}

public static partial class Functional
{
    /// <summary>Merges axes <paramref name="startAxis"/> … <paramref name="endAxis"/> into one (<c>torch.flatten</c>).</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">The input.</param>
    /// <param name="startAxis">The first axis merged.</param>
    /// <param name="endAxis">The last axis merged.</param>
    public static Tensor<T> Flatten<T>(Tensor<T> input, int startAxis = 1, int endAxis = -1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Flatten(startAxis, endAxis);
    }
}
