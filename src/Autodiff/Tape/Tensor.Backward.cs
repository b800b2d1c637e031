using System.Numerics;

namespace Autodiff;

// Where a tensor sweep starts (Backward on a tensor) and the helpers every sweep shares: the seed, accumulation of
// contributions, and the one place where a broadcast gradient is summed back to its input's shape.
public sealed partial class Tensor<T>
{
    /// <summary>
    /// Backpropagates from this one-element tensor (typically a loss): accumulates ∂this/∂leaf into the
    /// <see cref="Grad"/> of every leaf that requires grad.
    /// </summary>
    /// <param name="createGraph">Record the backward pass so that the gradients can be differentiated again.</param>
    public void Backward(bool createGraph = false) => Backward(null, createGraph);

    /// <summary>Backpropagates ∂L/∂this = <paramref name="seed"/> (for a tensor of any shape; a vector–Jacobian product).</summary>
    /// <param name="seed">∂L/∂this, the shape of this tensor; 1 for a one-element tensor when null.</param>
    /// <param name="createGraph">Record the backward pass so that the gradients can be differentiated again.</param>
    public void Backward(Tensor<T>? seed, bool createGraph = false)
    {
        if (Node is null)
        {
            if (_requiresGrad)
            {
                Tape.LeafGradSink.For(createGraph).Accumulate(this, Tensor.SeedFor(this, seed, nameof(Backward)), createGraph);
                return;
            }

            throw new InvalidOperationException(
                $"Backward: this tensor (shape {Shapes.Format(_shape)}) was not recorded on a tape, so there is nothing to differentiate. " +
                "Mark the parameters with RequiresGrad() and run the forward pass inside `using var tape = new Tape();`.");
        }

        NodeTape!.SweepTensors(this, Tensor.SeedFor(this, seed, nameof(Backward)), Tape.LeafGradSink.For(createGraph));
    }
}

public static partial class Tensor
{
    /// <summary>∂L/∂y to start a sweep with: the given seed (checked against y's shape), or 1 for a one-element y.</summary>
    internal static Tensor<T> SeedFor<T>(Tensor<T> y, Tensor<T>? seed, string op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (seed is null)
        {
            if (y.Size != 1)
            {
                throw new InvalidOperationException($"{op}: the output has shape {Shapes.Format(y.Shape)}; without a seed only a one-element output can be differentiated. Pass a seed (∂L/∂output) of that shape.");
            }

            return Ones<T>(y.Shape);
        }

        if (!seed.Shape.SequenceEqual(y.Shape))
        {
            throw new ArgumentException($"{op}: the seed has shape {Shapes.Format(seed.Shape)} but the output has shape {Shapes.Format(y.Shape)}.", nameof(seed));
        }

        return seed;
    }

    /// <summary>a + b while accumulating in a sweep: recorded when building a graph of the gradient, eager otherwise.</summary>
    internal static Tensor<T> AddForSweep<T>(Tensor<T> a, Tensor<T> b, bool createGraph)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (createGraph)
        {
            return a.Add(b);
        }

        using (Autograd.PauseRecording())
        {
            return a.Add(b);
        }
    }

    /// <summary>Sums a broadcast gradient back to the shape of the input it was broadcast from.</summary>
    internal static Tensor<T> SumToShape<T>(Tensor<T> g, ReadOnlySpan<int> shape, string op, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int extra = g.Rank - shape.Length;
        if (extra < 0)
        {
            Shapes.Throw(op, $"internal error: gradient of shape {Shapes.Format(g.Shape)} for an input of shape {Shapes.Format(shape)}.", file, line);
        }

        Span<int> axes = stackalloc int[g.Rank];
        int count = 0;
        for (int d = 0; d < g.Rank; d++)
        {
            if (d < extra || (shape[d - extra] == 1 && g.Shape[d] != 1))
            {
                axes[count++] = d;
            }
        }

        Tensor<T> summed = count == 0 ? g : g.Sum(axes[..count].ToArray(), keepDim: true);
        return summed.Reshape(shape);
    }
}
