using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>
/// A fused backward kernel of two inputs (the incoming gradient g and a saved tensor s), in scalar and SIMD form:
/// one pass over memory instead of the two or three that composing tensor ops would take.
/// </summary>
internal interface IFusedKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract T Invoke(T g, T s);

    static abstract Vector512<T> Invoke(Vector512<T> g, Vector512<T> s);

    static abstract Vector256<T> Invoke(Vector256<T> g, Vector256<T> s);
}

/// <summary>g·y·(1 − y): the sigmoid's backward from its saved result y.</summary>
internal readonly struct SigmoidBackward<T> : IFusedKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T g, T y) => g * y * (T.One - y);

    public static Vector512<T> Invoke(Vector512<T> g, Vector512<T> y) => g * y * (Vector512<T>.One - y);

    public static Vector256<T> Invoke(Vector256<T> g, Vector256<T> y) => g * y * (Vector256<T>.One - y);
}

/// <summary>g·(1 − y²): tanh's backward from its saved result y.</summary>
internal readonly struct TanhBackward<T> : IFusedKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T g, T y) => g * (T.One - (y * y));

    public static Vector512<T> Invoke(Vector512<T> g, Vector512<T> y) => g * (Vector512<T>.One - (y * y));

    public static Vector256<T> Invoke(Vector256<T> g, Vector256<T> y) => g * (Vector256<T>.One - (y * y));
}

/// <summary>
/// 0 where x ≤ 0, else g: ReLU's backward (subgradient 0 at 0) from its input x — or its output, equivalently. A NaN
/// passes g, as PyTorch's <c>threshold_backward</c> (NaN ≤ 0 is false).
/// </summary>
internal readonly struct ReluBackward<T> : IFusedKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T g, T x) => x <= T.Zero ? T.Zero : g;

    public static Vector512<T> Invoke(Vector512<T> g, Vector512<T> x) => Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<T>.Zero), Vector512<T>.Zero, g);

    public static Vector256<T> Invoke(Vector256<T> g, Vector256<T> x) => Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<T>.Zero), Vector256<T>.Zero, g);
}

/// <summary>
/// g·s, but 0 wherever g = 0 even if s is infinite or NaN: a zero adjoint means "no dependence", so a singular
/// local derivative off the path (√x at x ≤ 0 behind a Where, say) must not turn into 0·∞ = NaN.
/// </summary>
internal readonly struct ZeroSafeMultiply<T> : IFusedKernel<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T g, T s) => T.IsZero(g) ? T.Zero : g * s;

    public static Vector512<T> Invoke(Vector512<T> g, Vector512<T> s) => Vector512.ConditionalSelect(Vector512.Equals(g, Vector512<T>.Zero), Vector512<T>.Zero, g * s);

    public static Vector256<T> Invoke(Vector256<T> g, Vector256<T> s) => Vector256.ConditionalSelect(Vector256.Equals(g, Vector256<T>.Zero), Vector256<T>.Zero, g * s);
}

/// <summary>One generic SIMD loop for every fused kernel: widest vectors first, then a scalar tail.</summary>
internal static class Fused
{
    public static void Apply<T, TKernel>(ReadOnlySpan<T> g, ReadOnlySpan<T> s, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IFusedKernel<T>
    {
        if (g.Length != s.Length || destination.Length != g.Length)
        {
            throw new ArgumentException($"Fused kernel: lengths {g.Length}, {s.Length} and {destination.Length} differ.");
        }

        ref T gRef = ref MemoryMarshal.GetReference(g);
        ref T sRef = ref MemoryMarshal.GetReference(s);
        ref T dRef = ref MemoryMarshal.GetReference(destination);
        int n = g.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                Vector512<T> r = TKernel.Invoke(Vector512.LoadUnsafe(ref gRef, (nuint)i), Vector512.LoadUnsafe(ref sRef, (nuint)i));
                r.StoreUnsafe(ref dRef, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                Vector256<T> r = TKernel.Invoke(Vector256.LoadUnsafe(ref gRef, (nuint)i), Vector256.LoadUnsafe(ref sRef, (nuint)i));
                r.StoreUnsafe(ref dRef, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dRef, i) = TKernel.Invoke(Unsafe.Add(ref gRef, i), Unsafe.Add(ref sRef, i));
        }
    }
}
