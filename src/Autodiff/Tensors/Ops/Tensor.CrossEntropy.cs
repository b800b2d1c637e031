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
        CheckCrossEntropy(logits, targets, nameof(CrossEntropy), file, line);
        var losses = new Tensor<T>(Uninitialized<T>(logits.Shape[0]), [logits.Shape[0]]);
        (T[] softmax, SavedClasses<T> classes) = CrossEntropyForward(logits, targets, losses.Data);
        return Autograd.Record(nameof(CrossEntropy), losses, g => [CrossEntropyBackward(logits, softmax, classes, g, mean: false, file, line)], file, line, logits);
    }

    /// <summary>
    /// The mean over the rows of <see cref="CrossEntropy{T}(Tensor{T}, ReadOnlySpan{int}, string?, int)"/>, as one op
    /// (PyTorch's <c>F.cross_entropy</c> with its default <c>reduction='mean'</c>): a scalar (shape []).
    /// </summary>
    /// <remarks>
    /// Backward: dxₙ = (g/N)·(softmax(xₙ) − one-hot(targetₙ)). One node instead of three (the per-row losses, their sum
    /// and the scaling), on every step of a classifier's training.
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="logits">Unnormalised class scores, shape [N, C] with C ≥ 1.</param>
    /// <param name="targets">One class index in [0, C) per row.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> CrossEntropyMean<T>(Tensor<T> logits, ReadOnlySpan<int> targets, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckCrossEntropy(logits, targets, nameof(CrossEntropyMean), file, line);
        int n = logits.Shape[0];
        T[] losses = Uninitialized<T>(n); // scratch: lent by the tape, or garbage right away
        (T[] softmax, SavedClasses<T> classes) = CrossEntropyForward(logits, targets, losses);
        var mean = new Tensor<T>(Uninitialized<T>(1), []);
        mean.Data[0] = TensorPrimitives.Sum<T>(losses.AsSpan(0, n)) / T.CreateChecked(n); // NaN for no rows, as PyTorch
        return Autograd.Record(nameof(CrossEntropyMean), mean, g => [CrossEntropyBackward(logits, softmax, classes, g, mean: true, file, line)], file, line, logits);
    }

    /// <summary>Throws unless the logits are [N, C] with C ≥ 1 and each of the N targets is a class index.</summary>
    private static void CheckCrossEntropy<T>(Tensor<T> logits, ReadOnlySpan<int> targets, string op, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Rank != 2 || logits.Shape[1] == 0 || targets.Length != logits.Shape[0])
        {
            Shapes.Throw(op, $"logits {Shapes.Format(logits.Shape)} with {targets.Length} targets: needs logits [N, C] with C ≥ 1 and one target per row.", file, line);
        }

        int n = logits.Shape[0], c = logits.Shape[1];
        for (int i = 0; i < n; i++)
        {
            if ((uint)targets[i] >= (uint)c)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"{op}{Shapes.Where(file, line)}: target {targets[i]} (row {i}) is not a class index in [0, {c}).");
            }
        }
    }

    /// <summary>
    /// Writes the per-row losses into <paramref name="losses"/>; returns the softmax [N, C] and the targets as the
    /// backward pass needs them.
    /// </summary>
    private static (T[] Softmax, SavedClasses<T> Classes) CrossEntropyForward<T>(Tensor<T> logits, ReadOnlySpan<int> targets, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];

        // Kept for the backward pass, so lent by the tape only when the op will be recorded (else they are scratch).
        bool recorded = logits.GradRequired && Autograd.IsRecording;
        var classes = SavedClasses<T>.Save(targets, c, recorded);
        T[] softmax = recorded ? Uninitialized<T>(n * c) : GC.AllocateUninitializedArray<T>(n * c);
        ReadOnlySpan<T> x = logits.Span;
        Span<T> p = softmax.AsSpan(0, n * c), loss = losses;
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

        return (softmax, classes);
    }

    /// <summary>
    /// dxₙ = gₙ·(softmax(xₙ) − one-hot(targetₙ)), with gₙ = g/N for the mean; from differentiable ops when the sweep is
    /// being recorded (for a second derivative).
    /// </summary>
    private static Tensor<T> CrossEntropyBackward<T>(Tensor<T> logits, T[] softmax, SavedClasses<T> classes, Tensor<T> g, bool mean, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        if (Autograd.IsRecording)
        {
            Tensor<T> oneHot = Zeros<T>(n, c);
            for (int i = 0; i < n; i++)
            {
                oneHot.Data[(i * c) + classes[i]] = T.One;
            }

            Tensor<T> scale = mean ? g.Reshape([1, 1]).Mul(T.One / T.CreateChecked(n)) : g.Reshape([n, 1]);
            return logits.Softmax(-1, file, line).Sub(oneHot).Mul(scale);
        }

        var dx = new Tensor<T>(Uninitialized<T>(n * c), [n, c]);
        ReadOnlySpan<T> gs = g.Span, probs = softmax.AsSpan(0, n * c);
        T meanScale = mean ? gs[0] / T.CreateChecked(n) : T.Zero;
        Span<T> d = dx.Data;
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

        return dx;
    }

    /// <summary>
    /// The target classes kept for the backward pass: as values of <typeparamref name="T"/> in an array lent by the
    /// tape (so a training step allocates nothing for them) when every class index is exact in
    /// <typeparamref name="T"/>, else as a copy of the indices.
    /// </summary>
    private readonly struct SavedClasses<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T[]? _encoded;
        private readonly int[]? _indices;

        private SavedClasses(T[]? encoded, int[]? indices) => (_encoded, _indices) = (encoded, indices);

        public int this[int row] => _encoded is { } e ? int.CreateTruncating(e[row]) : _indices![row];

        /// <summary>Keeps the targets if the op will be recorded; nothing otherwise (no rule will ask).</summary>
        public static SavedClasses<T> Save(ReadOnlySpan<int> targets, int classCount, bool recorded)
        {
            if (!recorded)
            {
                return default;
            }

            // float holds every integer up to 2²⁴ exactly, double up to 2⁵³.
            if (classCount > (1 << 24))
            {
                return new(null, targets.ToArray());
            }

            T[] encoded = Uninitialized<T>(targets.Length);
            for (int i = 0; i < targets.Length; i++)
            {
                encoded[i] = T.CreateTruncating(targets[i]);
            }

            return new(encoded, null);
        }
    }
}
