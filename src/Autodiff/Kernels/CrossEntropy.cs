using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// Cross-entropy of class logits [N, C] against class indices, row by row: the log-softmax, the pick of each row's
/// target and the negation in one pass, the softmax kept for a one-pass backward (softmax − one-hot).
/// </summary>
internal static class CrossEntropy
{
    /// <summary>Rows shorter than this are processed with plain loops (per-row library calls cost more than the arithmetic there).</summary>
    private const int ShortRow = 32;

    /// <summary>lossₙ = log Σⱼ exp(xₙⱼ) − xₙ,targetₙ (stable: the row maximum first), and the softmax of each row into <paramref name="p"/>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> targets, int n, int c, Span<T> p, Span<T> loss)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (c >= ShortRow)
        {
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<T> row = x.Slice(i * c, c);
                Span<T> prob = p.Slice(i * c, c);
                T max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, prob);
                TensorPrimitives.Exp(prob, prob);
                T sum = TensorPrimitives.Sum<T>(prob);
                loss[i] = (max - row[targets[i]]) + T.Log(sum); // in this order: max + log Σ would round log Σ to an ulp of max
                TensorPrimitives.Divide(prob, sum, prob);
            }
        }
        else
        {
            // Short rows (10 classes): four library calls per row cost more than the arithmetic, so the row passes
            // are plain loops and the exponentials, the expensive part, are one call over the whole batch.
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<T> row = x.Slice(i * c, c);
                Span<T> shifted = p.Slice(i * c, c);
                T max = row[0];
                for (int j = 1; j < c; j++)
                {
                    max = T.Max(max, row[j]);
                }

                for (int j = 0; j < c; j++)
                {
                    shifted[j] = row[j] - max;
                }

                loss[i] = max - row[targets[i]];
            }

            TensorPrimitives.Exp(p, p);
            for (int i = 0; i < n; i++)
            {
                Span<T> prob = p.Slice(i * c, c);
                T sum = T.Zero;
                for (int j = 0; j < c; j++)
                {
                    sum += prob[j];
                }

                loss[i] += T.Log(sum);
                T inverse = T.One / sum;
                for (int j = 0; j < c; j++)
                {
                    prob[j] *= inverse;
                }
            }
        }

    }

    /// <summary>Ones at (n, targetₙ) of a zeroed [N, C] block.</summary>
    public static void OneHot<T>(ClassIndices<T> classes, int n, int c, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
        {
            destination[(i * c) + classes[i]] = T.One;
        }
    }

    /// <summary>dxₙ = gₙ·(pₙ − one-hot(targetₙ)), with gₙ = g₀/N for all rows when <paramref name="mean"/>.</summary>
    public static void Backward<T>(ReadOnlySpan<T> probs, ReadOnlySpan<T> gs, ClassIndices<T> classes, int n, int c, bool mean, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T meanScale = mean ? gs[0] / T.CreateChecked(n) : T.Zero;
        for (int i = 0; i < n; i++)
        {
            Span<T> di = d.Slice(i * c, c);
            ReadOnlySpan<T> pi = probs.Slice(i * c, c);
            T gi = mean ? meanScale : gs[i];
            if (c >= ShortRow)
            {
                TensorPrimitives.Multiply(pi, gi, di);
            }
            else
            {
                for (int j = 0; j < c; j++)
                {
                    di[j] = pi[j] * gi;
                }
            }

            di[classes[i]] -= gi;
        }

    }
}

/// <summary>
/// The target classes kept for a backward pass: as values of <typeparamref name="T"/> in an array the caller provides
/// (the tape lends it, so a training step allocates nothing for them) when every class index is exact in
/// <typeparamref name="T"/>, else as a copy of the indices.
/// </summary>
internal readonly struct ClassIndices<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]? _encoded;
    private readonly int[]? _indices;

    public ClassIndices(int[] indices) => _indices = indices;

    private ClassIndices(T[] encoded) => _encoded = encoded;

    public int this[int row] => _encoded is { } e ? int.CreateTruncating(e[row]) : _indices![row];

    /// <summary>Whether class indices below <paramref name="classCount"/> are exact in T (float: up to 2²⁴, double: 2⁵³).</summary>
    public static bool FitIn(int classCount) => classCount <= (1 << 24);

    /// <summary>The targets encoded into <paramref name="storage"/> (at least as long as the targets).</summary>
    public static ClassIndices<T> Encode(ReadOnlySpan<int> targets, T[] storage)
    {
        for (int i = 0; i < targets.Length; i++)
        {
            storage[i] = T.CreateTruncating(targets[i]);
        }

        return new(storage);
    }
}
