using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// Normalisation of each row of a [rows, d] block (the trailing axes of a tensor): layer normalisation (mean and
/// variance) and RMS normalisation (root mean square), forwards in two passes per row and backwards in two.
/// </summary>
internal static class LayerNorm
{
    /// <summary>
    /// y = (x − μ)·(1/√(σ² + ε))·w + b per row (σ² biased), writing μ and 1/√(σ² + ε) per row; a null weight is 1, a
    /// null bias 0.
    /// </summary>
    public static void Forward<T>(T[] x, T[] y, int rows, int d, T[]? weight, T[]? bias, T epsilon, T[] mean, T[] inverse, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(d);
        ParallelFor.Run(rows, (long)d * 3, threads, (from, to) =>
        {
            for (int r = from; r < to; r++)
            {
                ReadOnlySpan<T> xr = x.AsSpan(r * d, d);
                Span<T> yr = y.AsSpan(r * d, d);
                T mu = TensorPrimitives.Sum(xr) / count;
                TensorPrimitives.Subtract(xr, mu, yr);
                T inv = T.One / T.Sqrt((TensorPrimitives.SumOfSquares<T>(yr) / count) + epsilon);
                mean[r] = mu;
                inverse[r] = inv;
                TensorPrimitives.Multiply(yr, inv, yr);
                if (weight is not null)
                {
                    TensorPrimitives.Multiply(yr, weight, yr);
                }

                if (bias is not null)
                {
                    TensorPrimitives.Add(yr, bias, yr);
                }
            }
        });
    }

    /// <summary>
    /// The backward of <see cref="Forward{T}"/> with x̂ = (x − μ)/σ and gw = g·w per row:
    /// dx = (1/σ)·(gw − mean(gw) − x̂·mean(gw·x̂)); dw = Σ_rows g·x̂, db = Σ_rows g (added to zeros).
    /// <paramref name="scratch"/> holds d elements.
    /// </summary>
    public static void Backward<T>(T[] g, T[] x, int rows, int d, T[]? weight, T[] mean, T[] inverse, T[]? dx, T[]? dw, T[]? db, T[] scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(d);
        Span<T> xHat = scratch.AsSpan(0, d);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> gr = g.AsSpan(r * d, d), xr = x.AsSpan(r * d, d);
            TensorPrimitives.Subtract(xr, mean[r], xHat);
            TensorPrimitives.Multiply(xHat, inverse[r], xHat);
            if (dw is not null)
            {
                TensorPrimitives.FusedMultiplyAdd(gr, xHat, dw, dw);
            }

            if (db is not null)
            {
                TensorPrimitives.Add(db, gr, db);
            }

            if (dx is null)
            {
                continue;
            }

            Span<T> dxr = dx.AsSpan(r * d, d);
            if (weight is null)
            {
                gr.CopyTo(dxr);
            }
            else
            {
                TensorPrimitives.Multiply(gr, weight, dxr); // gw
            }

            T meanGw = TensorPrimitives.Sum<T>(dxr) / count, meanGwXHat = TensorPrimitives.Dot<T>(dxr, xHat) / count;
            TensorPrimitives.FusedMultiplyAdd(xHat, -meanGwXHat, dxr, dxr);
            TensorPrimitives.Add(dxr, -meanGw, dxr);
            TensorPrimitives.Multiply(dxr, inverse[r], dxr);
        }
    }

    /// <summary>y = x·(1/√(mean(x²) + ε))·w per row, writing 1/√(mean(x²) + ε) per row.</summary>
    public static void RmsForward<T>(T[] x, T[] y, int rows, int d, T[]? weight, T epsilon, T[] inverse, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(d);
        ParallelFor.Run(rows, (long)d * 2, threads, (from, to) =>
        {
            for (int r = from; r < to; r++)
            {
                ReadOnlySpan<T> xr = x.AsSpan(r * d, d);
                Span<T> yr = y.AsSpan(r * d, d);
                T inv = T.One / T.Sqrt((TensorPrimitives.SumOfSquares(xr) / count) + epsilon);
                inverse[r] = inv;
                TensorPrimitives.Multiply(xr, inv, yr);
                if (weight is not null)
                {
                    TensorPrimitives.Multiply(yr, weight, yr);
                }
            }
        });
    }

    /// <summary>
    /// The backward of <see cref="RmsForward{T}"/> with r = 1/√(mean(x²) + ε) and gw = g·w:
    /// dx = r·gw − x·r³·mean(gw·x); dw = Σ_rows g·x·r (added to zeros). <paramref name="scratch"/> holds d elements.
    /// </summary>
    public static void RmsBackward<T>(T[] g, T[] x, int rows, int d, T[]? weight, T[] inverse, T[]? dx, T[]? dw, T[] scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(d);
        Span<T> gw = scratch.AsSpan(0, d);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> gr = g.AsSpan(r * d, d), xr = x.AsSpan(r * d, d);
            T inv = inverse[r];
            if (dw is not null)
            {
                TensorPrimitives.Multiply(xr, inv, gw); // x·r, reusing the scratch
                TensorPrimitives.FusedMultiplyAdd(gr, gw, dw, dw);
            }

            if (dx is null)
            {
                continue;
            }

            if (weight is null)
            {
                gr.CopyTo(gw);
            }
            else
            {
                TensorPrimitives.Multiply(gr, weight, gw);
            }

            T k = -(inv * inv * inv * TensorPrimitives.Dot<T>(gw, xr) / count);
            Span<T> dxr = dx.AsSpan(r * d, d);
            TensorPrimitives.Multiply(gw, inv, dxr);
            TensorPrimitives.FusedMultiplyAdd(xr, k, dxr, dxr);
        }
    }
}
