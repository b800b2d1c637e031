using System.Numerics;

namespace Autodiff.NN;

/// <summary>
/// The functional forms of the layers, activations and losses (like <c>torch.nn.functional</c>): plain functions of
/// tensors, generic over float and double, composed from the engine's differentiable operations so that their
/// gradients come from the tape — and can be checked in double with <see cref="GradCheck"/>.
/// </summary>
public static partial class Functional
{
    /// <summary>Combines loss values by <paramref name="reduction"/>.</summary>
    internal static Tensor<T> Reduce<T>(Tensor<T> losses, Reduction reduction, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
        => reduction switch
        {
            Reduction.Mean => losses.Mean(),
            Reduction.Sum => losses.Sum(),
            Reduction.None => losses,
            Reduction.BatchMean => losses.Rank == 0 ? losses : losses.Sum().Mul(T.One / T.CreateChecked(losses.Shape[0])),
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"{op}: unknown reduction."),
        };

    /// <summary>A shape as "[2, 3]".</summary>
    internal static string Format(ReadOnlySpan<int> shape) => Tensor.FormatShape(shape);

    /// <summary>
    /// The error for an input that does not fit: "{op} in Linear (Sequential[2], 128→10) called at Model.cs:42: {detail}"
    /// when it happens inside a layer call, "{op}: {detail}" otherwise.
    /// </summary>
    internal static ArgumentException ShapeError(string op, string detail, string parameter) => new($"{op}{Autograd.CurrentScope}: {detail}", parameter);

    /// <summary>Throws unless the two tensors have the same shape (losses compare element by element, without broadcasting).</summary>
    internal static void CheckSameShape<T>(Tensor<T> input, Tensor<T> target, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.Shape.SequenceEqual(target.Shape))
        {
            // Broadcasting a target against the input is almost always a bug (e.g. [N] against [N, 1] gives [N, N]).
            throw ShapeError(op, $"input of shape {Format(input.Shape)} and target of shape {Format(target.Shape)} must have the same shape.", nameof(target));
        }
    }

    /// <summary>Throws unless every element lies in [0, 1].</summary>
    internal static void CheckProbabilities<T>(Tensor<T> x, string op, string what, string paramName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> values = x.Span;
        for (int i = 0; i < values.Length; i++)
        {
            if (!(values[i] >= T.Zero && values[i] <= T.One))
            {
                throw new ArgumentOutOfRangeException(paramName, $"{op}: {what} must lie in [0, 1]; element {i} of the tensor of shape {Format(x.Shape)} is {values[i]}.");
            }
        }
    }
}
