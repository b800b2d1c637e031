using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// The affine map of a linear layer as one op (PyTorch's F.linear, BLAS's gemm with β = 1): the bias is written into
// the result rows first and the GEMM adds x·Wᵀ to it, so the result is made in one pass and recorded as one node
// instead of a product, a broadcast and a sum.
public static partial class Tensor
{
    /// <summary>
    /// y = x·Wᵀ + b for x [m, k], a weight W stored [n, k] (as a linear layer keeps it) and an optional bias b [n];
    /// W is read transposed in place. A 1-D x [k] is one row and gives y [n], as PyTorch's <c>F.linear</c>.
    /// </summary>
    /// <remarks>Backward: dx = G·W, dW = Gᵀ·x, db = Σ over the rows of G.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="input">x, shape [m, k] or [k].</param>
    /// <param name="weight">W, shape [n, k].</param>
    /// <param name="bias">b, shape [n], or null.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Linear<T>(Tensor<T> input, Tensor<T> weight, Tensor<T>? bias = null, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 1 && weight.Rank == 2)
        {
            return Linear(input.Reshape([1, input.Shape[0]], file, line), weight, bias, file, line).Reshape([weight.Shape[0]], file, line);
        }

        if (input.Rank != 2 || weight.Rank != 2 || input.Shape[1] != weight.Shape[1] || (bias is not null && (bias.Rank != 1 || bias.Size != weight.Shape[0])))
        {
            string b = bias is null ? "" : $" + {Shapes.Format(bias.Shape)}";
            Shapes.Throw(nameof(Linear), $"{Shapes.Format(input.Shape)} × {Shapes.Format(weight.Shape)}ᵀ{b}: needs x [m, k], W [n, k] and b [n] (or a 1-D x [k]).", file, line);
        }

        int m = input.Shape[0], k = input.Shape[1], n = weight.Shape[0];
        var y = new Tensor<T>(Uninitialized<T>(m * n), [m, n]);
        if (bias is not null)
        {
            Layout.Tile(bias.Span, m, y.Data);
        }

        Tensor<T>.Gemm(input.Data, 0, false, weight.Data, 0, true, y.Data, 0, m, n, k, accumulate: bias is not null);
        return Autograd.Record(nameof(Linear), y, g => Fusion.Composed
            ? [g.MatMul(weight), g.Transpose().MatMul(input), bias is null ? null : g.Sum([0])]
            : Fusion.LinearBackward(g, input, weight, bias), file, line, bias is null ? [input, weight] : [input, weight, bias]);
    }
}
