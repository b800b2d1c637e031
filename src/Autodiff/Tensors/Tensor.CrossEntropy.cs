using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Cross-entropy of class logits against class indices as one op: log-softmax, picking each row's target and the
// negation fused into one pass per row, with the softmax kept for a one-pass backward (softmax − one-hot). Composed
// from separate ops it took six nodes and as many passes; a classifier's loss is on every training step.
public static partial class Tensor
{
    /// <summary>Rows shorter than this are processed with plain loops (measured: 10-class rows took 2× longer through per-row library calls).</summary>
    private const int ShortRow = 32;

    /// <summary>
    /// The cross-entropy of each row of <paramref name="logits"/> [N, C] against its class index:
    /// lossₙ = log Σⱼ exp(xₙⱼ) − xₙ,targetₙ, computed stably (the row maximum is subtracted first). Shape [N].
    /// </summary>
    /// <remarks>Backward: dxₙ = gₙ·(softmax(xₙ) − one-hot(targetₙ)).</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logits">Unnormalised class scores, shape [N, C] with C ≥ 1.</param>
    /// <param name="targets">One class index in [0, C) per row.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, ReadOnlySpan<int> targets, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Shape[1] == 0 || targets.Length != logits.Shape[0])
        {
            Shapes.Throw(nameof(CrossEntropy), $"logits {Shapes.Format(logits.Shape)} with {targets.Length} targets: needs logits [N, C] with C ≥ 1 and one target per row.", file, line);
        }

        int n = logits.Shape[0], c = logits.Shape[1];
        int[] classes = targets.ToArray();
        for (int i = 0; i < n; i++)
        {
            if ((uint)classes[i] >= (uint)c)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"CrossEntropy{Shapes.Where(file, line)}: target {classes[i]} (row {i}) is not a class index in [0, {c}).");
            }
        }

        var losses = new Tensor<T>(Uninitialized<T>(n), [n]);
        // Kept for the backward pass, so lent by the tape only when the op will be recorded (else it is scratch).
        bool recorded = logits.GradRequired && Autograd.IsRecording;
        var softmax = new Tensor<T>(recorded ? Uninitialized<T>(n * c) : GC.AllocateUninitializedArray<T>(n * c), [n, c]);
        ReadOnlySpan<T> x = logits.Span;
        Span<T> p = softmax.Data, loss = losses.Data;
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
                loss[i] = (max - row[classes[i]]) + T.Log(sum); // in this order: max + log Σ would round log Σ to an ulp of max
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

                loss[i] = max - row[classes[i]];
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

        return Autograd.Record(nameof(CrossEntropy), losses, g =>
        {
            if (Autograd.IsRecording)
            {
                // Recorded (for a second derivative): the same rule from differentiable ops.
                Tensor<T> oneHot = Zeros<T>(n, c);
                for (int i = 0; i < n; i++)
                {
                    oneHot.Data[(i * c) + classes[i]] = T.One;
                }

                return [logits.Softmax(-1, file, line).Sub(oneHot).Mul(g.Reshape([n, 1]))];
            }

            var dx = new Tensor<T>(Uninitialized<T>(n * c), [n, c]);
            ReadOnlySpan<T> gs = g.Span, probs = softmax.Span;
            Span<T> d = dx.Data;
            for (int i = 0; i < n; i++)
            {
                Span<T> di = d.Slice(i * c, c);
                ReadOnlySpan<T> pi = probs.Slice(i * c, c);
                T gi = gs[i];
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

            return [dx];
        }, file, line, logits);
    }
}
