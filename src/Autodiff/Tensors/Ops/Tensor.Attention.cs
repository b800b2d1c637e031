using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Scaled dot-product attention as one op. The forward pass goes strip by strip over the queries (Kernels/Attention.cs)
// and keeps only the output and each query's log-sum-exp; the rule is written composed (the weights recomputed with
// recorded ops), and in an eager sweep Fusion.AttentionBackward recomputes them strip by strip instead, so that
// attention's memory grows as O(T), not O(T²), per head.
public static partial class Tensor
{
    /// <summary>
    /// softmax(q·kᵀ·scale + mask)·v (PyTorch's <c>F.scaled_dot_product_attention</c>) for q [*, Tq, D], k [*, Tk, D],
    /// v [*, Tk, Dv] with the same leading (batch, head) axes; the result is [*, Tq, Dv].
    /// </summary>
    /// <remarks>
    /// <para>
    /// The mask is added to the scores and broadcasts to [*, Tq, Tk]: −∞ removes a key (a key-padding mask [B, 1, 1, Tk]
    /// or a [Tq, Tk] pattern). <paramref name="causal"/> removes the keys after each query (key j &gt; query i, PyTorch's
    /// <c>is_causal</c>). −∞ is legal outside anomaly mode; a query whose keys are all removed gets zeros, where PyTorch
    /// gives NaN (a deliberate difference). Dropout (rate <paramref name="dropout"/>) zeroes attention weights and
    /// scales the rest by 1/(1 − p), the mask drawn from <paramref name="seed"/> so that the backward pass draws the same.
    /// </para>
    /// <para>
    /// Backward, with P the weights, P̃ = P after dropout and dP = (g·vᵀ) through the dropout: dv = P̃ᵀ·g,
    /// dS = P ⊙ (dP − Σⱼ P⊙dP)·scale, dq = dS·k, dk = dSᵀ·q. The mask is not differentiated.
    /// </para>
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="query">q, [*, Tq, D].</param>
    /// <param name="key">k, [*, Tk, D].</param>
    /// <param name="value">v, [*, Tk, Dv].</param>
    /// <param name="mask">An additive mask broadcasting to [*, Tq, Tk], or null.</param>
    /// <param name="causal">Remove the keys after each query.</param>
    /// <param name="dropout">The dropout rate of the attention weights, in [0, 1).</param>
    /// <param name="seed">Seed of the dropout mask.</param>
    /// <param name="scale">The factor of the scores; 1/√D when null.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> ScaledDotProductAttention<T>(
        Tensor<T> query, Tensor<T> key, Tensor<T> value, Tensor<T>? mask = null, bool causal = false, double dropout = 0.0, int? seed = null, double? scale = null,
        [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string Op = nameof(ScaledDotProductAttention);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        int rank = query.Rank;
        string shapes = $"q {Shapes.Format(query.Shape)}, k {Shapes.Format(key.Shape)}, v {Shapes.Format(value.Shape)}";
        if (rank < 2 || key.Rank != rank || value.Rank != rank
            || !query.Shape[..^2].SequenceEqual(key.Shape[..^2]) || !query.Shape[..^2].SequenceEqual(value.Shape[..^2])
            || query.Shape[^1] != key.Shape[^1] || key.Shape[^2] != value.Shape[^2])
        {
            Shapes.Throw(Op, $"{shapes}: needs q [*, Tq, D], k [*, Tk, D] and v [*, Tk, Dv] with the same leading axes.", file, line);
        }

        if (!(dropout >= 0 && dropout < 1))
        {
            Shapes.Throw(Op, $"the dropout rate {dropout} must lie in [0, 1).", file, line);
        }

        int tq = query.Shape[^2], tk = key.Shape[^2], d = query.Shape[^1], dv = value.Shape[^1];
        int[] batch = query.ShapeArray()[..^2];
        int heads = Shapes.Size(batch);
        int[] scoreShape = [.. batch, tq, tk];
        if (mask is not null && !(Shapes.BroadcastOrNull(mask.Shape, scoreShape) ?? []).AsSpan().SequenceEqual(scoreShape))
        {
            Shapes.Throw(Op, $"the mask {Shapes.Format(mask.Shape)} does not broadcast to the scores' shape {Shapes.Format(scoreShape)} ({shapes}).", file, line);
        }

        T factor = T.CreateChecked(scale ?? (1.0 / Math.Sqrt(d)));
        AttentionMask<T> attention = mask is null ? new(null, null, 0, 0, causal) : MaskLayout(mask, scoreShape, causal);
        var drop = new AttentionDropout(dropout, DropoutMask.Stream(seed ?? (dropout > 0 ? Generator.NextSeed() : 0)));
        var y = new Tensor<T>(Uninitialized<T>(heads * tq * dv), [.. batch, tq, dv]);
        T[] lse = Uninitialized<T>(heads * tq);
        Attention.Forward(query.Data, key.Data, value.Data, y.Data, lse, heads, tq, tk, d, dv, factor, attention, drop, Parallelism.MaxThreads);
        return Autograd.Record(Op, y, g =>
        {
            if (!Fusion.Composed)
            {
                return Fusion.AttentionBackward(g, query, key, value, lse, heads, tq, tk, d, dv, factor, attention, drop);
            }

            // The weights recomputed with recorded ops, so that the gradient can be differentiated again.
            Tensor<T> s = query.MatMul(key.Transpose(), file, line).Mul(factor, file, line);
            if (mask is not null)
            {
                s = s.Add(mask.Detach(), file, line);
            }

            if (causal)
            {
                s = s.Add(Full(T.NegativeInfinity, tq, tk).Triu(1), file, line);
            }

            Tensor<T> p = s.Softmax(-1, file, line);
            Tensor<T>? z = drop.Active ? DropoutFactors<T>(scoreShape, heads, tq, tk, drop) : null;
            Tensor<T> dp = g.MatMul(value.Transpose(), file, line);
            if (z is not null)
            {
                dp = dp.Mul(z, file, line);
            }

            Tensor<T> ds = p.Mul(dp.Sub(dp.Mul(p).Sum(-1, keepDim: true)), file, line).Mul(factor, file, line);
            return [
                query.GradRequired ? ds.MatMul(key, file, line) : null,
                key.GradRequired ? ds.Transpose().MatMul(query, file, line) : null,
                value.GradRequired ? (z is null ? p : p.Mul(z)).Transpose().MatMul(g, file, line) : null,
            ];
        }, file, line, query, key, value).Traced("causal", causal).Traced("scale", double.CreateChecked(factor)).Traced("dropout", dropout).Traced("mask", mask);
    }

    /// <summary>The dropout factors of an attention as a tensor of the scores' shape (for the composed rule).</summary>
    private static Tensor<T> DropoutFactors<T>(int[] scoreShape, int heads, int tq, int tk, AttentionDropout drop)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var z = new Tensor<T>(Uninitialized<T>(heads * tq * tk), scoreShape);
        Attention.DropoutFactors<T>(z.Data, heads, tq, tk, drop);
        return z;
    }

    /// <summary>Where the kernel reads a mask broadcast to the scores' shape: per head its block's start, and the row and column strides (0 where broadcast).</summary>
    private static AttentionMask<T> MaskLayout<T>(Tensor<T> mask, int[] scoreShape, bool causal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] strides = Strides.Broadcast(mask.Shape, scoreShape);
        var offsets = new int[Shapes.Size(scoreShape.AsSpan(0, scoreShape.Length - 2))];
        for (int h = 0; h < offsets.Length; h++)
        {
            // Head h spelled out over the batch axes (row-major), through the mask's strides.
            int rest = h, at = 0;
            for (int dim = scoreShape.Length - 3; dim >= 0; dim--)
            {
                at += rest % scoreShape[dim] * strides[dim];
                rest /= scoreShape[dim];
            }

            offsets[h] = at;
        }

        return new(mask.Data, offsets, strides[^2], strides[^1], causal);
    }
}
