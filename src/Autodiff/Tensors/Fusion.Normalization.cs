using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

// The fused eager forms of the normalising ops' rules: batch normalisation and cross-entropy, each one or two passes
// over memory from what the forward pass saved, where their composed forms take a dozen nodes.
internal static partial class Fusion
{
    /// <summary>The eager backward of training-mode <see cref="Tensor.BatchNorm{T}"/>, from the saved per-channel μ and 1/σ.</summary>
    public static (Tensor<T>? Dx, Tensor<T>? Dw, Tensor<T>? Db) BatchNormBackward<T>(Tensor<T> g, Tensor<T> input, Tensor<T>? weight, Tensor<T>? bias, T[] mean, T[] inverse, int n, int c, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T>? dx = input.GradRequired ? new Tensor<T>(Tensor.Uninitialized<T>(input.Size), input.ShapeArray()) : null;
        Tensor<T>? dw = weight is not null && weight.GradRequired ? new Tensor<T>(Tensor.Uninitialized<T>(c), [c]) : null;
        Tensor<T>? db = bias is not null && bias.GradRequired ? new Tensor<T>(Tensor.Uninitialized<T>(c), [c]) : null;
        Kernels.BatchNorm.TrainBackward(g.Data, input.Data, n, c, inner, weight?.Data, mean, inverse, dx?.Data, dw?.Data, db?.Data, Parallelism.MaxThreads);
        return (dx, dw, db);
    }

    /// <summary>dxₙ = gₙ·(pₙ − one-hot(targetₙ)) from the saved softmax p, gₙ = g/N for every row of the mean.</summary>
    public static Tensor<T> CrossEntropyBackward<T>(Tensor<T> g, T[] softmax, ClassIndices<T> classes, int n, int c, bool mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = new Tensor<T>(Tensor.Uninitialized<T>(n * c), [n, c]);
        Kernels.CrossEntropy.Backward(softmax.AsSpan(0, n * c), g.Span, classes, n, c, mean, dx.Data);
        return dx;
    }

    /// <summary>Layer normalisation's backward from the saved per-row μ and 1/σ (two passes per row).</summary>
    public static Tensor<T>?[] LayerNormBackward<T>(Tensor<T> g, Tensor<T> input, Tensor<T>? weight, Tensor<T>? bias, T[] mean, T[] inverse, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T>? dx = input.GradRequired ? new Tensor<T>(Tensor.Uninitialized<T>(input.Size), input.ShapeArray()) : null;
        Tensor<T>? dw = weight is not null && weight.GradRequired ? new Tensor<T>(Tensor.Zeroed<T>(d), weight.ShapeArray()) : null;
        Tensor<T>? db = bias is not null && bias.GradRequired ? new Tensor<T>(Tensor.Zeroed<T>(d), bias.ShapeArray()) : null;
        Kernels.LayerNorm.Backward(g.Data, input.Data, rows, d, weight?.Data, mean, inverse, dx?.Data, dw?.Data, db?.Data, Tensor.Uninitialized<T>(d));
        return [dx, .. weight is null ? [] : new[] { dw }, .. bias is null ? [] : new[] { db }];
    }

    /// <summary>RMS normalisation's backward from the saved per-row 1/rms (two passes per row).</summary>
    public static Tensor<T>?[] RmsNormBackward<T>(Tensor<T> g, Tensor<T> input, Tensor<T>? weight, T[] inverse, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor<T>? dx = input.GradRequired ? new Tensor<T>(Tensor.Uninitialized<T>(input.Size), input.ShapeArray()) : null;
        Tensor<T>? dw = weight is not null && weight.GradRequired ? new Tensor<T>(Tensor.Zeroed<T>(d), weight.ShapeArray()) : null;
        Kernels.LayerNorm.RmsBackward(g.Data, input.Data, rows, d, weight?.Data, inverse, dx?.Data, dw?.Data, Tensor.Uninitialized<T>(d));
        return weight is null ? [dx] : [dx, dw];
    }
}
