using System.Runtime.CompilerServices;

namespace Autodiff;

// Vector activations. Along the last axis (the common case: logits of shape [batch, classes]) each row goes through
// a stable row kernel (Kernels/Softmax.cs) and the rule beside it; along any other axis they are composed of
// differentiable ops and need no rule of their own.
public sealed partial class Tensor<T>
{
    /// <summary>softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) along <paramref name="axis"/>, m the row maximum (stable).</summary>
    /// <remarks>Backward (note 003's Jacobian yᵢ(δᵢⱼ − yⱼ) applied to g): dx = y ⊙ (g − Σ g⊙y).</remarks>
    /// <param name="axis">The axis that sums to 1; the last by default.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Softmax(int axis = -1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        if (Rank == 0)
        {
            // As PyTorch: softmax over the one element of a 0-d tensor is 1, with gradient 0.
            Shapes.Axes([axis], [], nameof(Softmax), file, line);
            return Tensor.OnesLike(this);
        }

        int a = Shapes.Axis(axis, Shape, nameof(Softmax), file, line);
        if (a != Rank - 1)
        {
            using OpTrace.Composite trace = OpTrace.BeginComposite();
            Tensor<T> shifted = Sub(Detach().Max(a, keepDim: true, file, line), file, line).Exp(file, line);
            return trace.Done(nameof(Softmax), shifted.Div(shifted.Sum(a, keepDim: true, file, line), file, line), file, line, this).Traced("axis", a);
        }

        var result = new Tensor<T>(Tensor.Uninitialized<T>(Size), _shape);
        Kernels.Softmax.Forward<T>(Data, result.Data, _shape[^1]);
        return Autograd.Record(nameof(Softmax), result, g => [Fusion.Composed
            ? result.Mul(g.Sub(g.Mul(result).Sum(-1, keepDim: true)))
            : Fusion.SoftmaxBackward(g, result)], file, line, this).Traced("axis", a);
    }

    /// <summary>log softmax(x) = x − m − log Σ exp(x − m) along <paramref name="axis"/> (stable).</summary>
    /// <remarks>Backward: dx = g − softmax(x)·Σ g.</remarks>
    /// <param name="axis">The axis; the last by default.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> LogSoftmax(int axis = -1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        if (Rank == 0)
        {
            Shapes.Axes([axis], [], nameof(LogSoftmax), file, line);
            return Tensor.ZerosLike(this);
        }

        int a = Shapes.Axis(axis, Shape, nameof(LogSoftmax), file, line);
        if (a != Rank - 1)
        {
            // (x − m) − log Σ exp(x − m), m the detached maximum (a constant: the result does not depend on it), for
            // the same reason as below: x − logsumexp(x) would round log Σ to an ulp of m. m is not made finite: a
            // +∞ makes the whole slice NaN, as the row kernel and PyTorch (all −∞ gives NaN either way).
            using OpTrace.Composite trace = OpTrace.BeginComposite();
            Tensor<T> m = Detach().Max(a, keepDim: true, file, line);
            Tensor<T> shifted = Sub(m, file, line);
            return trace.Done(nameof(LogSoftmax), shifted.Sub(shifted.Exp(file, line).Sum(a, keepDim: true, file, line).Log(file, line), file, line), file, line, this).Traced("axis", a);
        }

        var result = new Tensor<T>(Tensor.Uninitialized<T>(Size), _shape);
        Kernels.Softmax.LogForward<T>(Data, result.Data, _shape[^1]);
        return Autograd.Record(nameof(LogSoftmax), result, g => [Fusion.Composed
            ? g.Sub(result.Exp().Mul(g.Sum(-1, keepDim: true)))
            : Fusion.LogSoftmaxBackward(g, result)], file, line, this).Traced("axis", a);
    }
}
