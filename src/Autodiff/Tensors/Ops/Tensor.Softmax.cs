using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Autodiff;

// Vector activations. Along the last axis (the common case: logits of shape [batch, classes]) each row goes through
// a stable single-row kernel and a fused backward; along any other axis they are composed of differentiable ops.
public sealed partial class Tensor<T>
{
    /// <summary>softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m) along <paramref name="axis"/>, m the row maximum (stable).</summary>
    /// <remarks>Backward (note 003's Jacobian yᵢ(δᵢⱼ − yⱼ) applied to g): dx = y ⊙ (g − Σ g⊙y).</remarks>
    /// <param name="axis">The axis that sums to 1; the last by default.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Softmax(int axis = -1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Rank, nameof(Softmax), file, line);
        if (Rank == 0 || a != Rank - 1)
        {
            Tensor<T> shifted = Sub(Detach().Max(a, keepDim: true, file, line), file, line).Exp(file, line);
            return shifted.Div(shifted.Sum(a, keepDim: true, file, line), file, line);
        }

        int n = _shape[^1];
        var data = Tensor.Uninitialized<T>(Size);
        for (int r = 0; r < Size / Math.Max(n, 1); r++)
        {
            ReadOnlySpan<T> x = Data.AsSpan(r * n, n);
            Span<T> y = data.AsSpan(r * n, n);
            TensorPrimitives.Subtract(x, TensorPrimitives.Max(x), y);
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Divide(y, TensorPrimitives.Sum<T>(y), y);
        }

        var result = new Tensor<T>(data, _shape);
        return Autograd.Record(nameof(Softmax), result, g =>
        {
            if (Autograd.IsRecording)
            {
                return [result.Mul(g.Sub(g.Mul(result).Sum(-1, keepDim: true)))];
            }

            var dx = Tensor.Uninitialized<T>(Size);
            for (int r = 0; r < Size / Math.Max(n, 1); r++)
            {
                ReadOnlySpan<T> y = result.Data.AsSpan(r * n, n), gr = g.Data.AsSpan(r * n, n);
                Span<T> d = dx.AsSpan(r * n, n);
                T dot = TensorPrimitives.Dot(gr, y);
                TensorPrimitives.Subtract(gr, dot, d);
                TensorPrimitives.Multiply(d, y, d);
            }

            return [new Tensor<T>(dx, _shape)];
        }, file, line, this);
    }

    /// <summary>log softmax(x) = x − m − log Σ exp(x − m) along <paramref name="axis"/> (stable).</summary>
    /// <remarks>Backward: dx = g − softmax(x)·Σ g.</remarks>
    /// <param name="axis">The axis; the last by default.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> LogSoftmax(int axis = -1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Rank, nameof(LogSoftmax), file, line);
        if (Rank == 0 || a != Rank - 1)
        {
            // (x − m) − log Σ exp(x − m), m the detached maximum (a constant: the result does not depend on it), for
            // the same reason as below: x − logsumexp(x) would round log Σ to an ulp of m.
            Tensor<T> m = Detach().Max(a, keepDim: true, file, line).Map(static (x, d) =>
            {
                for (int i = 0; i < d.Length; i++)
                {
                    d[i] = T.IsFinite(x[i]) ? x[i] : T.Zero;
                }
            });
            Tensor<T> shifted = Sub(m, file, line);
            return shifted.Sub(shifted.Exp(file, line).Sum(a, keepDim: true, file, line).Log(file, line), file, line);
        }

        int n = _shape[^1];
        var data = Tensor.Uninitialized<T>(Size);
        for (int r = 0; r < Size / Math.Max(n, 1); r++)
        {
            ReadOnlySpan<T> x = Data.AsSpan(r * n, n);
            Span<T> y = data.AsSpan(r * n, n);
            T max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            T logSum = T.Log(TensorPrimitives.Sum<T>(y));

            // (x − m) − log Σ, not x − (m + log Σ): with logits near 1e4 in float, m + log Σ rounds log Σ to an ulp
            // of 1e4 (≈ 1e-3), which the gradient's exp(result) then carries as a 1e-3 relative error.
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Subtract(y, logSum, y);
        }

        var result = new Tensor<T>(data, _shape);
        return Autograd.Record(nameof(LogSoftmax), result, g =>
        {
            if (Autograd.IsRecording)
            {
                return [g.Sub(result.Exp().Mul(g.Sum(-1, keepDim: true)))];
            }

            var dx = Tensor.Uninitialized<T>(Size);
            for (int r = 0; r < Size / Math.Max(n, 1); r++)
            {
                ReadOnlySpan<T> y = result.Data.AsSpan(r * n, n), gr = g.Data.AsSpan(r * n, n);
                Span<T> d = dx.AsSpan(r * n, n);
                T sum = TensorPrimitives.Sum(gr);
                TensorPrimitives.Exp(y, d);
                TensorPrimitives.Multiply(d, -sum, d);
                TensorPrimitives.Add(d, gr, d);
            }

            return [new Tensor<T>(dx, _shape)];
        }, file, line, this);
    }
}
