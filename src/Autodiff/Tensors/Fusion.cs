using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

/// <summary>
/// The one place where a backward rule's composed form gives way to a fused eager kernel.
/// </summary>
/// <remarks>
/// <para>
/// Every tensor op writes its derivative once, composed from the engine's own ops, beside its forward pass: that is
/// the rule a reader reads, and what a recorded sweep (<c>createGraph: true</c>) records, so that it can be
/// differentiated again. Where one pass over memory instead of several is measured to matter on a training step,
/// the rule reads <c>Fusion.Composed ? composed form : Fusion.Name(…)</c>, and the named fused form is here, its
/// loops in <c>Kernels/</c>.
/// </para>
/// <para>
/// The two forms must agree: <see cref="Off"/> switches fusion off for the calling thread, and a test sweeps every
/// op of the op table both ways and compares the gradients.
/// </para>
/// </remarks>
internal static partial class Fusion
{
    [ThreadStatic]
    private static bool s_off;

    /// <summary>
    /// Whether the rules run their composed forms: the sweep is being recorded (its gradient will be differentiated
    /// again), or fusion is switched off on this thread; otherwise fused kernels stand in where they exist.
    /// </summary>
    public static bool Composed => s_off || Autograd.IsRecording;

    /// <summary>Switches fused kernels off on this thread until the scope is disposed (for tests that compare the forms).</summary>
    public static OffScope Off()
    {
        bool previous = s_off;
        s_off = true;
        return new OffScope(previous);
    }

    /// <summary>Restores the thread's fusion setting when disposed.</summary>
    public readonly struct OffScope(bool previous) : IDisposable
    {
        public void Dispose() => s_off = previous;
    }

    /// <summary>An elementwise fused kernel of the incoming gradient g and one saved tensor s of the same shape.</summary>
    public static Tensor<T> Apply<T, TKernel>(Tensor<T> g, Tensor<T> s)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IFusedKernel<T>
    {
        var data = Tensor.Uninitialized<T>(g.Size);
        Fused.Apply<T, TKernel>(g.Span, s.Span, data);
        return new(data, g.ShapeArray());
    }

    /// <summary>g·(Φ(x) + x·φ(x)) in one pass (composed, it takes five tensors).</summary>
    public static Tensor<T> GeluBackward<T>(Tensor<T> g, Tensor<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = Tensor.Uninitialized<T>(g.Size);
        Pointwise.GeluBackward(g.Span, x.Span, data);
        return new(data, g.ShapeArray());
    }

    /// <summary>y ⊙ (g − Σ g⊙y) along the last axis, row by row.</summary>
    public static Tensor<T> SoftmaxBackward<T>(Tensor<T> g, Tensor<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = Tensor.Uninitialized<T>(g.Size);
        Kernels.Softmax.Backward(g.Span, y.Span, dx, y.Shape[^1]);
        return new(dx, g.ShapeArray());
    }

    /// <summary>g − exp(y)·Σ g along the last axis, row by row, y the saved log-softmax.</summary>
    public static Tensor<T> LogSoftmaxBackward<T>(Tensor<T> g, Tensor<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = Tensor.Uninitialized<T>(g.Size);
        Kernels.Softmax.LogBackward(g.Span, y.Span, dx, y.Shape[^1]);
        return new(dx, g.ShapeArray());
    }

    /// <summary>g through a dropout mask regenerated from its seed, in one pass.</summary>
    public static Tensor<T> DropoutBackward<T>(Tensor<T> g, double p, ulong stream)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = Tensor.Uninitialized<T>(g.Size);
        DropoutMask.Apply<T>(g.Span, p, stream, dx);
        return new(dx, g.ShapeArray());
    }
}
