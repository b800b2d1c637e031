using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>Softmax and log-softmax of the rows of a [rows, n] block (the last axis), and their backward passes.</summary>
internal static class Softmax
{
    /// <summary>yᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) per row, m the row maximum.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < x.Length / Math.Max(n, 1); r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * n, n);
            Span<T> yr = y.Slice(r * n, n);
            TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Divide(yr, TensorPrimitives.Sum<T>(yr), yr);
        }
    }

    /// <summary>dx = y ⊙ (g − Σ g⊙y) per row.</summary>
    public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> dx, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < g.Length / Math.Max(n, 1); r++)
        {
            ReadOnlySpan<T> yr = y.Slice(r * n, n), gr = g.Slice(r * n, n);
            Span<T> d = dx.Slice(r * n, n);
            T dot = TensorPrimitives.Dot(gr, yr);
            TensorPrimitives.Subtract(gr, dot, d);
            TensorPrimitives.Multiply(d, yr, d);
        }
    }

    /// <summary>
    /// yᵢ = (xᵢ − m) − log Σⱼ exp(xⱼ − m) per row. In this order, not x − (m + log Σ): with logits near 1e4 in float,
    /// m + log Σ rounds log Σ to an ulp of 1e4 (≈ 1e-3), which the gradient's exp(y) then carries as a 1e-3 relative error.
    /// </summary>
    public static void LogForward<T>(ReadOnlySpan<T> x, Span<T> y, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < x.Length / Math.Max(n, 1); r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * n, n);
            Span<T> yr = y.Slice(r * n, n);
            T max = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Exp(yr, yr);
            T logSum = T.Log(TensorPrimitives.Sum<T>(yr));
            TensorPrimitives.Subtract(xr, max, yr);
            TensorPrimitives.Subtract(yr, logSum, yr);
        }
    }

    /// <summary>dx = g − exp(y)·Σ g per row, y the saved log-softmax.</summary>
    public static void LogBackward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> dx, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < g.Length / Math.Max(n, 1); r++)
        {
            ReadOnlySpan<T> yr = y.Slice(r * n, n), gr = g.Slice(r * n, n);
            Span<T> d = dx.Slice(r * n, n);
            T sum = TensorPrimitives.Sum(gr);
            TensorPrimitives.Exp(yr, d);
            TensorPrimitives.Multiply(d, -sum, d);
            TensorPrimitives.Add(d, gr, d);
        }
    }
}
