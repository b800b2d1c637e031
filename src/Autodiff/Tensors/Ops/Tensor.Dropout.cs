using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Inverted dropout as one op: the mask is a counter-based hash of (seed, element), so the rule regenerates it
// instead of keeping a tensor of it, and the forward pass is one pass over memory.
public static partial class Tensor
{
    /// <summary>
    /// Inverted dropout (PyTorch's <c>F.dropout</c> in training): each element zeroed with probability
    /// <paramref name="p"/>, the survivors scaled by 1/(1 − p); the mask is fixed by <paramref name="seed"/>.
    /// </summary>
    /// <remarks>Backward: g through the same mask (g/(1 − p) where kept, 0 where dropped).</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, any shape.</param>
    /// <param name="p">The probability of zeroing an element, in [0, 1].</param>
    /// <param name="seed">Seed of the mask.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Dropout<T>(Tensor<T> input, double p, int seed, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(p >= 0 && p <= 1))
        {
            Shapes.Throw(nameof(Dropout), $"the probability {p} must lie in [0, 1].", file, line);
        }

        if (p == 0)
        {
            return input;
        }

        ulong stream = DropoutMask.Stream(seed);
        var y = new Tensor<T>(Uninitialized<T>(input.Size), input.ShapeArray());
        DropoutMask.Apply<T>(input.Span, p, stream, y.Data);
        return Autograd.Record(nameof(Dropout), y, g =>
        {
            if (Fusion.Composed)
            {
                var mask = new Tensor<T>(Uninitialized<T>(g.Size), g.ShapeArray());
                DropoutMask.Factors<T>(p, stream, mask.Data);
                return [g.Mul(mask)];
            }

            return [Fusion.DropoutBackward(g, p, stream)];
        }, file, line, input).Traced("p", p);
    }
}
