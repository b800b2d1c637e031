using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Masks: triangles of the last two axes (the causal mask of attention is Triu of −∞ above the diagonal) and filling
// where a mask holds. Each is linear in x with a 0/1 pattern, so its rule applies the same pattern to g.
public sealed partial class Tensor<T>
{
    /// <summary>
    /// The lower triangle of the last two axes (PyTorch's <c>tril</c>): element (i, j) kept where j − i ≤
    /// <paramref name="diagonal"/>, zero elsewhere.
    /// </summary>
    /// <remarks>Backward: g.Tril(diagonal).</remarks>
    /// <param name="diagonal">0 keeps the main diagonal; positive also keeps that many above it, negative drops that many below.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Tril(int diagonal = 0, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Triangle(nameof(Tril), lower: true, diagonal, file, line);

    /// <summary>
    /// The upper triangle of the last two axes (PyTorch's <c>triu</c>): element (i, j) kept where j − i ≥
    /// <paramref name="diagonal"/>, zero elsewhere.
    /// </summary>
    /// <remarks>Backward: g.Triu(diagonal).</remarks>
    /// <param name="diagonal">0 keeps the main diagonal; positive drops that many above it too, negative keeps that many below.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Triu(int diagonal = 0, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        => Triangle(nameof(Triu), lower: false, diagonal, file, line);

    private Tensor<T> Triangle(string op, bool lower, int diagonal, string? file, int line)
    {
        if (Rank < 2)
        {
            Shapes.Throw(op, $"needs at least 2 dimensions, got shape {Shapes.Format(_shape)}.", file, line);
        }

        var y = new Tensor<T>(Tensor.Uninitialized<T>(Size), _shape);
        Layout.Triangle<T>(Data, y.Data, _shape[^2], _shape[^1], lower, diagonal);
        return Autograd.Record(op, y, g => [g.Triangle(op, lower, diagonal, file, line)], file, line, this).Traced("diagonal", diagonal);
    }

    /// <summary>
    /// <paramref name="value"/> where <paramref name="mask"/> is non-zero, this tensor elsewhere (PyTorch's
    /// <c>masked_fill</c>); the mask broadcasts to this tensor's shape. Filling with −∞ before a softmax masks keys out.
    /// </summary>
    /// <remarks>Backward: g where the mask is zero, 0 where it holds (composed: a <see cref="Tensor.Where{T}"/>).</remarks>
    /// <param name="mask">Non-zero where the value goes; not differentiated.</param>
    /// <param name="value">The fill value (−∞ allowed).</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> MaskedFill(Tensor<T> mask, T value, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (!Shapes.Broadcast(mask._shape, _shape, nameof(MaskedFill), file, line).AsSpan().SequenceEqual(_shape))
        {
            Shapes.Throw(nameof(MaskedFill), $"the mask {Shapes.Format(mask._shape)} does not broadcast to the tensor's shape {Shapes.Format(_shape)}.", file, line);
        }

        return Tensor.Where(mask, Tensor.Full(value, _shape), this, file, line);
    }
}

public static partial class Tensor
{
    /// <summary>The n×m identity (ones on the diagonal), m = n by default, as <c>torch.eye</c>.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="n">Rows.</param>
    /// <param name="m">Columns; n when null.</param>
    public static Tensor<T> Eye<T>(int n, int? m = null)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int cols = m ?? n;
        if (n < 0 || cols < 0)
        {
            throw new ArgumentOutOfRangeException(n < 0 ? nameof(n) : nameof(m), $"Eye: the extents must be ≥ 0, got {n}×{cols}.");
        }

        Tensor<T> eye = Zeros<T>(n, cols);
        Span<T> data = eye.MutableSpan();
        for (int i = 0; i < Math.Min(n, cols); i++)
        {
            data[(i * cols) + i] = T.One;
        }

        return eye;
    }
}
