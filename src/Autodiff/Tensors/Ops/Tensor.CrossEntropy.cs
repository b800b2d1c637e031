using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Cross-entropy of class logits against class indices as one op: log-softmax, picking each row's target and the
// negation fused into one pass per row, with the softmax kept for a one-pass backward (softmax − one-hot). Composed
// from separate ops it took six nodes and as many passes; a classifier's loss is on every training step.
public static partial class Tensor
{
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
        (T[] softmax, ClassIndices<T> classes) = CrossEntropyForward(logits, targets, losses.Data);
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
        (T[] softmax, ClassIndices<T> classes) = CrossEntropyForward(logits, targets, losses);
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
    private static (T[] Softmax, ClassIndices<T> Classes) CrossEntropyForward<T>(Tensor<T> logits, ReadOnlySpan<int> targets, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];

        // Kept for the backward pass, so lent by the tape only when the op will be recorded (else they are scratch).
        bool recorded = logits.GradRequired && Autograd.IsRecording;
        ClassIndices<T> classes = !recorded ? default
            : ClassIndices<T>.FitIn(c) ? ClassIndices<T>.Encode(targets, Uninitialized<T>(targets.Length)) : new ClassIndices<T>(targets.ToArray());
        T[] softmax = recorded ? Uninitialized<T>(n * c) : GC.AllocateUninitializedArray<T>(n * c);
        Kernels.CrossEntropy.Forward(logits.Span, targets, n, c, softmax.AsSpan(0, n * c), losses);
        return (softmax, classes);
    }

    /// <summary>
    /// dxₙ = gₙ·(softmax(xₙ) − one-hot(targetₙ)), with gₙ = g/N for the mean; in an eager sweep one pass over the
    /// saved softmax (<see cref="Fusion.CrossEntropyBackward{T}"/>).
    /// </summary>
    private static Tensor<T> CrossEntropyBackward<T>(Tensor<T> logits, T[] softmax, ClassIndices<T> classes, Tensor<T> g, bool mean, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        if (!Fusion.Composed)
        {
            return Fusion.CrossEntropyBackward(g, softmax, classes, n, c, mean);
        }

        Tensor<T> oneHot = Zeros<T>(n, c);
        Kernels.CrossEntropy.OneHot(classes, n, c, oneHot.Data);
        Tensor<T> scale = mean ? g.Reshape([1, 1]).Mul(T.One / T.CreateChecked(n)) : g.Reshape([n, 1]);
        return logits.Softmax(-1, file, line).Sub(oneHot).Mul(scale);
    }
}
