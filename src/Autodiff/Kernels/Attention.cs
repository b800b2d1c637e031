using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// Where an attention's additive mask is read for head h, query i, key j: values[offsets[h] + i·RowStride +
/// j·ColumnStride] (strides 0 where the mask broadcasts); with <see cref="Causal"/>, keys after the query are masked too.
/// </summary>
internal readonly record struct AttentionMask<T>(T[]? Values, int[]? Offsets, int RowStride, int ColumnStride, bool Causal)
    where T : unmanaged, IFloatingPointIeee754<T>;

/// <summary>
/// Dropout of attention weights by a counter-based hash of (seed, head, query, key): the backward pass regenerates
/// the same mask instead of storing it (O(T²) memory otherwise), and a composed rule can materialise it.
/// </summary>
internal readonly record struct AttentionDropout(double P, ulong Seed)
{
    public bool Active => P > 0;

    /// <summary>Whether weight (h, i, j) survives.</summary>
    public bool Keeps(int head, int i, int j, int tq, int tk) => DropoutMask.Keeps(Seed, ((((long)head * tq) + i) * tk) + j, P);
}

/// <summary>
/// Scaled dot-product attention softmax(q·kᵀ·scale + mask)·v, one strip of query rows at a time, so that no more than
/// a [strip, Tk] block of weights exists at once per head and only the output and each row's log-sum-exp are kept for
/// the backward pass, which recomputes the weights strip by strip (FlashAttention's recurrence): attention's memory
/// grows as O(T) per head, not O(T²).
/// </summary>
internal static class Attention
{
    /// <summary>Query rows per strip: a [64, Tk] block of weights per head at a time.</summary>
    private const int Strip = 64;

    /// <summary>
    /// o [heads, tq, dv] and lse [heads, tq] from q [heads, tq, d], k [heads, tk, d], v [heads, tk, dv]. A row whose
    /// keys are all masked gets o = 0 and lse = −∞ (rather than NaN).
    /// </summary>
    public static void Forward<T>(T[] q, T[] k, T[] v, T[] o, T[] lse, int heads, int tq, int tk, int d, int dv, T scale, AttentionMask<T> mask, AttentionDropout dropout, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int strips = (tq + Strip - 1) / Strip, units = heads * strips;
        int gemmThreads = units > 1 ? 1 : threads;
        ParallelFor.Run(units, (long)Strip * tk * (d + dv), threads, (from, to) =>
        {
            T[] s = ArrayPool<T>.Shared.Rent(Strip * tk);
            try
            {
                for (int u = from; u < to; u++)
                {
                    int h = u / strips, r0 = (u % strips) * Strip, rows = Math.Min(Strip, tq - r0);
                    Span<T> p = s.AsSpan(0, rows * tk);
                    Gemm.Multiply<T>(q.AsSpan(((h * tq) + r0) * d, rows * d), false, k.AsSpan(h * tk * d, tk * d), true, p, rows, tk, d, false, gemmThreads);
                    Scores(p, h, r0, rows, tq, tk, scale, mask);
                    for (int i = 0; i < rows; i++)
                    {
                        lse[(h * tq) + r0 + i] = SoftmaxRow(p.Slice(i * tk, tk));
                    }

                    if (dropout.Active)
                    {
                        ApplyDropout(p, h, r0, rows, tq, tk, dropout);
                    }

                    Gemm.Multiply<T>(p, false, v.AsSpan(h * tk * dv, tk * dv), false, o.AsSpan(((h * tq) + r0) * dv, rows * dv), rows, dv, tk, false, gemmThreads);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(s);
            }
        });
    }

    /// <summary>
    /// The backward pass from the saved lse: per head, strip by strip, P = exp(S − lse) recomputed, then
    /// dV += P̃ᵀ·dO, dP = dO·Vᵀ (through the dropout mask), dS = P ⊙ (dP − Σⱼ P⊙dP)·scale, dQ = dS·K, dK += dSᵀ·Q.
    /// dk and dv must be zeroed by the caller; any of the three may be null.
    /// </summary>
    public static void Backward<T>(T[] q, T[] k, T[] v, T[] lse, T[] dO, T[]? dq, T[]? dk, T[]? dv, int heads, int tq, int tk, int d, int dvDim, T scale, AttentionMask<T> mask, AttentionDropout dropout, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int gemmThreads = heads > 1 ? 1 : threads;
        ParallelFor.Run(heads, (long)tq * tk * (d + dvDim) * 2, threads, (from, to) =>
        {
            T[] pBuffer = ArrayPool<T>.Shared.Rent(Strip * tk), dpBuffer = ArrayPool<T>.Shared.Rent(Strip * tk);
            T[]? droppedBuffer = dropout.Active && dv is not null ? ArrayPool<T>.Shared.Rent(Strip * tk) : null;
            try
            {
                for (int h = from; h < to; h++)
                {
                    ReadOnlySpan<T> kh = k.AsSpan(h * tk * d, tk * d), vh = v.AsSpan(h * tk * dvDim, tk * dvDim);
                    for (int r0 = 0; r0 < tq; r0 += Strip)
                    {
                        int rows = Math.Min(Strip, tq - r0);
                        Span<T> p = pBuffer.AsSpan(0, rows * tk), dp = dpBuffer.AsSpan(0, rows * tk);
                        ReadOnlySpan<T> qs = q.AsSpan(((h * tq) + r0) * d, rows * d), dos = dO.AsSpan(((h * tq) + r0) * dvDim, rows * dvDim);
                        Gemm.Multiply(qs, false, kh, true, p, rows, tk, d, false, gemmThreads);
                        Scores(p, h, r0, rows, tq, tk, scale, mask);
                        for (int i = 0; i < rows; i++)
                        {
                            Span<T> row = p.Slice(i * tk, tk);
                            T l = lse[(h * tq) + r0 + i];
                            if (T.IsNegativeInfinity(l))
                            {
                                row.Clear();
                                continue;
                            }

                            TensorPrimitives.Subtract(row, l, row);
                            TensorPrimitives.Exp(row, row);
                        }

                        // dP̃ = dO·Vᵀ; with dropout, P̃ = P⊙Z and dP = dP̃⊙Z, Z the kept weights' 1/(1 − p).
                        Gemm.Multiply(dos, false, vh, true, dp, rows, tk, dvDim, false, gemmThreads);
                        if (dropout.Active)
                        {
                            ApplyDropout(dp, h, r0, rows, tq, tk, dropout);
                        }

                        if (dv is not null)
                        {
                            // dV += P̃ᵀ·dO; with dropout P̃ = P⊙Z in a buffer of its own, since dS below needs P itself.
                            Span<T> weights = p;
                            if (droppedBuffer is not null)
                            {
                                weights = droppedBuffer.AsSpan(0, rows * tk);
                                p.CopyTo(weights);
                                ApplyDropout(weights, h, r0, rows, tq, tk, dropout);
                            }

                            Gemm.Multiply<T>(weights, true, dos, false, dv.AsSpan(h * tk * dvDim, tk * dvDim), tk, dvDim, rows, true, gemmThreads);
                        }

                        // dS = P ⊙ (dP − Σⱼ P⊙dP) · scale, into dp.
                        for (int i = 0; i < rows; i++)
                        {
                            Span<T> pr = p.Slice(i * tk, tk), dpr = dp.Slice(i * tk, tk);
                            T dot = TensorPrimitives.Dot<T>(pr, dpr);
                            TensorPrimitives.Subtract(dpr, dot, dpr);
                            TensorPrimitives.Multiply(dpr, pr, dpr);
                            TensorPrimitives.Multiply(dpr, scale, dpr);
                        }

                        if (dq is not null)
                        {
                            Gemm.Multiply<T>(dp, false, kh, false, dq.AsSpan(((h * tq) + r0) * d, rows * d), rows, d, tk, false, gemmThreads);
                        }

                        if (dk is not null)
                        {
                            Gemm.Multiply(dp, true, qs, false, dk.AsSpan(h * tk * d, tk * d), tk, d, rows, true, gemmThreads);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(pBuffer);
                ArrayPool<T>.Shared.Return(dpBuffer);
                if (droppedBuffer is not null)
                {
                    ArrayPool<T>.Shared.Return(droppedBuffer);
                }
            }
        });
    }

    /// <summary>The dropout factors Z (1/(1 − p) where kept, 0 where dropped) of every head, as [heads, tq, tk].</summary>
    public static void DropoutFactors<T>(Span<T> z, int heads, int tq, int tk, AttentionDropout dropout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        z.Fill(T.One);
        for (int h = 0; h < heads; h++)
        {
            ApplyDropout(z.Slice(h * tq * tk, tq * tk), h, 0, tq, tq, tk, dropout);
        }
    }

    /// <summary>S·scale plus the mask (and −∞ after the diagonal when causal), for rows r0 … r0 + rows − 1 of head h.</summary>
    private static void Scores<T>(Span<T> s, int h, int r0, int rows, int tq, int tk, T scale, AttentionMask<T> mask)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(s, scale, s);
        for (int i = 0; i < rows; i++)
        {
            Span<T> row = s.Slice(i * tk, tk);
            if (mask.Values is { } values)
            {
                int at = mask.Offsets![h] + ((r0 + i) * mask.RowStride);
                if (mask.ColumnStride == 1)
                {
                    TensorPrimitives.Add(row, values.AsSpan(at, tk), row);
                }
                else
                {
                    TensorPrimitives.Add(row, values[at], row);
                }
            }

            if (mask.Causal && r0 + i + 1 < tk)
            {
                row[(r0 + i + 1)..].Fill(T.NegativeInfinity);
            }
        }
    }

    /// <summary>
    /// The row's softmax in place; returns its log-sum-exp (−∞, and a row of zeros, when every key is masked — or
    /// there are no keys at all).
    /// </summary>
    private static T SoftmaxRow<T>(Span<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = row.IsEmpty ? T.NegativeInfinity : TensorPrimitives.Max<T>(row);
        if (T.IsNegativeInfinity(max))
        {
            row.Clear();
            return T.NegativeInfinity;
        }

        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        T sum = TensorPrimitives.Sum<T>(row);
        TensorPrimitives.Divide(row, sum, row);
        return max + T.Log(sum);
    }

    private static void ApplyDropout<T>(Span<T> p, int h, int r0, int rows, int tq, int tk, AttentionDropout dropout)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T keep = T.CreateChecked(1.0 / (1.0 - dropout.P));
        for (int i = 0; i < rows; i++)
        {
            Span<T> row = p.Slice(i * tk, tk);
            for (int j = 0; j < tk; j++)
            {
                row[j] = dropout.Keeps(h, r0 + i, j, tq, tk) ? row[j] * keep : T.Zero;
            }
        }
    }
}
