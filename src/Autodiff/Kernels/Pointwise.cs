using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>
/// Elementwise functions that <see cref="TensorPrimitives"/> does not have, one destination[i] per x[i]. Where the
/// library has the op, the tensor ops call it directly instead.
/// </summary>
internal static class Pointwise
{
    /// <summary>destination[i] = −1, 0 or 1 by the sign of x[i].</summary>
    public static void Sign<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
        }
    }

    /// <summary>destination[i] = x[i] for x[i] &gt; 0, slope·x[i] otherwise.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, T slope, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] > T.Zero ? x[i] : slope * x[i];
        }
    }

    /// <summary>
    /// σ(x) = 1 / (1 + e⁻ˣ). TensorPrimitives' form gives 0 once e⁻ˣ overflows (x below ≈ −88.7 in float, −709.8 in
    /// double), where σ(x) ≈ eˣ is still a (subnormal) number; those inputs take eˣ / (1 + eˣ), exact there, found by
    /// one Min pass.
    /// </summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty)
        {
            return; // TensorPrimitives.Sigmoid refuses an empty span; an empty tensor's sigmoid is empty
        }

        TensorPrimitives.Sigmoid(x, destination);
        T limit = T.CreateChecked(typeof(T) == typeof(float) ? -80.0 : -700.0);
        if (TensorPrimitives.Min(x) < limit)
        {
            for (int i = 0; i < x.Length; i++)
            {
                if (x[i] < limit)
                {
                    T e = T.Exp(x[i]);
                    destination[i] = e / (T.One + e);
                }
            }
        }
    }

    /// <summary>The exact GELU x·Φ(x), Φ from the engine's own erfc (in double, then rounded to T).</summary>
    public static void Gelu<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            // A float's precision from the Chebyshev Φ (relative error below 4e-7), four lanes of double at a time.
            FloatGaussian.Gelu(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(destination));
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            double v = double.CreateChecked(x[i]);
            destination[i] = T.CreateChecked(v * SpecialFunctions.NormalCdf(v));
        }
    }

    /// <summary>destination[i] = g[i]·(Φ(x[i]) + x[i]·φ(x[i])): GELU's backward in one pass.</summary>
    public static void GeluBackward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            FloatGaussian.GeluBackward(MemoryMarshal.Cast<T, float>(g), MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(destination));
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            double v = double.CreateChecked(x[i]);
            destination[i] = g[i] * T.CreateChecked(SpecialFunctions.NormalCdf(v) + (v * SpecialFunctions.NormalPdf(v)));
        }
    }

    /// <summary>Φ(x), the standard normal CDF.</summary>
    public static void NormalCdf<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            FloatGaussian.NormalCdf(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(destination));
            return;
        }

        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.CreateChecked(SpecialFunctions.NormalCdf(double.CreateChecked(x[i])));
        }
    }

    /// <summary>softplus(x) = ln(1 + eˣ) as max(x, 0) + log1p(e^−|x|): no overflow for large x, no lost tail for very negative x.</summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            double v = double.CreateChecked(x[i]);
            destination[i] = T.CreateChecked(Math.Max(v, 0.0) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(v))));
        }
    }

    /// <summary>destination[i] = 1 where min ≤ x[i] ≤ max, else 0: where Clamp passes its gradient through.</summary>
    public static void InsideMask<T>(ReadOnlySpan<T> x, T min, T max, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = x[i] >= min && x[i] <= max ? T.One : T.Zero;
        }
    }

    /// <summary>destination[i] = x[i] where it is finite, else 0: a shift that cannot turn −∞ − (−∞) into NaN.</summary>
    public static void FiniteOrZero<T>(ReadOnlySpan<T> x, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.IsFinite(x[i]) ? x[i] : T.Zero;
        }
    }

    /// <summary>destination[i] = a[i] where mask[i] ≠ 0, else b[i] (three runs of one length).</summary>
    public static void Select<T>(ReadOnlySpan<T> mask, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = T.IsZero(mask[i]) ? b[i] : a[i];
        }
    }

    /// <summary>destination[i] = 1 where values[i] ≠ <paramref name="excluded"/>, else 0.</summary>
    public static void NotEqualMask<T>(ReadOnlySpan<int> values, int excluded, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            destination[i] = values[i] == excluded ? T.Zero : T.One;
        }
    }
}
