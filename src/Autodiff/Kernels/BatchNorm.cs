using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// Training-mode batch normalisation over axis 1 of x seen as [N, C, inner]: per channel three passes forwards (sum,
/// centred sum of squares, scale and shift) and two backwards, channels split over threads.
/// </summary>
internal static class BatchNorm
{
    /// <summary>
    /// y = (x − μ)·(w/√(σ² + ε)) + b per channel, μ and σ² (biased) over the N·inner values of the channel; writes
    /// μ, σ² and 1/√(σ² + ε) per channel. A null weight is 1, a null bias 0.
    /// </summary>
    public static void TrainForward<T>(T[] x, T[] y, int n, int c, int inner, T[]? weight, T[]? bias, T epsilon, T[] mean, T[] variance, T[] inverse, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(n * inner);
        ParallelFor.Run(c, (long)n * inner * 3, threads, (from, to) =>
        {
            for (int ch = from; ch < to; ch++)
            {
                T sum = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    sum += TensorPrimitives.Sum<T>(x.AsSpan(((i * c) + ch) * inner, inner));
                }

                T mu = sum / count, squares = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    Span<T> run = y.AsSpan(((i * c) + ch) * inner, inner);
                    TensorPrimitives.Subtract(x.AsSpan(((i * c) + ch) * inner, inner), mu, run);
                    squares += TensorPrimitives.SumOfSquares<T>(run);
                }

                T v = squares / count;
                T inv = T.One / T.Sqrt(v + epsilon);
                mean[ch] = mu;
                variance[ch] = v;
                inverse[ch] = inv;
                T scale = weight is null ? inv : weight[ch] * inv, shift = bias is null ? T.Zero : bias[ch];
                for (int i = 0; i < n; i++)
                {
                    Span<T> run = y.AsSpan(((i * c) + ch) * inner, inner);
                    TensorPrimitives.Multiply(run, scale, run);
                    TensorPrimitives.Add(run, shift, run);
                }
            }
        });
    }

    /// <summary>running ← keep·running + take·batch, elementwise over the channels.</summary>
    public static void UpdateRunning<T>(Span<T> running, ReadOnlySpan<T> batch, T keep, T take)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(running, keep, running);
        TensorPrimitives.FusedMultiplyAdd(batch, take, running, running);
    }

    /// <summary>
    /// The backward of <see cref="TrainForward{T}"/> from the saved μ and 1/σ, with x̂ = (x − μ)/σ and m = N·inner:
    /// dx = (w/σ)·(g − mean(g) − x̂·mean(g·x̂)), dw = Σ g·x̂, db = Σ g; any of the three may be skipped (null).
    /// </summary>
    public static void TrainBackward<T>(T[] g, T[] x, int n, int c, int inner, T[]? weight, T[] mean, T[] inverse, T[]? dx, T[]? dw, T[]? db, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(n * inner);
        ParallelFor.Run(c, (long)n * inner * 3, threads, (from, to) =>
        {
            for (int ch = from; ch < to; ch++)
            {
                // Σ g and Σ g·(x − μ) = Σ g·x − μ·Σ g.
                T sumG = T.Zero, sumGx = T.Zero;
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * c) + ch) * inner;
                    sumG += TensorPrimitives.Sum<T>(g.AsSpan(at, inner));
                    sumGx += TensorPrimitives.Dot<T>(g.AsSpan(at, inner), x.AsSpan(at, inner));
                }

                T inv = inverse[ch], mu = mean[ch];
                T sumGCentred = sumGx - (mu * sumG);
                if (dw is not null)
                {
                    dw[ch] = sumGCentred * inv;
                }

                if (db is not null)
                {
                    db[ch] = sumG;
                }

                if (dx is null)
                {
                    continue;
                }

                // dx = k1·g + k2·x + k3, with k1 = w/σ, k2 = −(w/σ³)·Σg(x − μ)/m, k3 = −k1·Σg/m − k2·μ.
                T w = weight is null ? T.One : weight[ch];
                T k1 = w * inv, k2 = -(w * inv * inv * inv * sumGCentred / count), k3 = -(k1 * sumG / count) - (k2 * mu);
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * c) + ch) * inner;
                    Span<T> d = dx.AsSpan(at, inner);
                    TensorPrimitives.Multiply(g.AsSpan(at, inner), k1, d);
                    TensorPrimitives.FusedMultiplyAdd(x.AsSpan(at, inner), k2, d, d);
                    TensorPrimitives.Add(d, k3, d);
                }
            }
        });
    }
}
