using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// The pointwise part of one GRU time step over a batch, forward and backward, for the fused recurrence
/// (<c>Tensor.GruRecurrence</c>), gates in PyTorch's order r, z, n.
/// </summary>
/// <remarks>
/// r = σ(p_r + hh_r), z = σ(p_z + hh_z), n = tanh(p_n + r·hh_n), h = (1 − z)·n + z·h₋₁ = n + z·(h₋₁ − n), where p is
/// the input's projection and hh = h₋₁·W_hhᵀ + b_hh, both [B, 3H].
/// </remarks>
internal static class GruCell
{
    /// <summary>The gates r, z, n (into <paramref name="gates"/>), hh_n (kept for the backward pass) and h.</summary>
    public static void Forward<T>(ReadOnlySpan<T> projected, ReadOnlySpan<T> hh, ReadOnlySpan<T> hPrev, Span<T> gates, Span<T> hhN, Span<T> h, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            int r3 = b * 3 * hidden, s = b * hidden;
            Span<T> rz = gates.Slice(r3, 2 * hidden), n = gates.Slice(r3 + (2 * hidden), hidden);
            TensorPrimitives.Add(projected.Slice(r3, 2 * hidden), hh.Slice(r3, 2 * hidden), rz);
            TensorPrimitives.Sigmoid(rz, rz);
            ReadOnlySpan<T> hn = hh.Slice(r3 + (2 * hidden), hidden);
            hn.CopyTo(hhN.Slice(s, hidden));
            TensorPrimitives.FusedMultiplyAdd(rz[..hidden], hn, projected.Slice(r3 + (2 * hidden), hidden), n);
            TensorPrimitives.Tanh(n, n);
            Span<T> hRow = h.Slice(s, hidden);
            TensorPrimitives.Subtract(hPrev.Slice(s, hidden), n, hRow);
            TensorPrimitives.FusedMultiplyAdd(rz.Slice(hidden, hidden), hRow, n, hRow);   // n + z·(h₋₁ − n)
        }
    }

    /// <summary>
    /// One step back from ∂L/∂h (all of it): the adjoints of the input's projection (<paramref name="dProjected"/>),
    /// of hh (<paramref name="dHh"/>, r·da_n in its n part) and the direct part of ∂L/∂h₋₁ = ∂L/∂h·z (<paramref name="dhPrev"/>).
    /// </summary>
    /// <remarks>
    /// dn = dh·(1 − z), dz = dh·(h₋₁ − n); da_n = dn·(1 − n²), da_r = da_n·hh_n·r(1 − r), da_z = dz·z(1 − z);
    /// ∂L/∂p = (da_r, da_z, da_n) and ∂L/∂hh = (da_r, da_z, da_n·r).
    /// </remarks>
    public static void Backward<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> gates, ReadOnlySpan<T> hhN, ReadOnlySpan<T> hPrev,
        Span<T> dProjected, Span<T> dHh, Span<T> dhPrev, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T one = T.One;
        for (int b = 0; b < batch; b++)
        {
            int r3 = b * 3 * hidden, s = b * hidden;
            for (int j = 0; j < hidden; j++)
            {
                T r = gates[r3 + j], z = gates[r3 + hidden + j], n = gates[r3 + (2 * hidden) + j], d = dh[s + j];
                T dan = d * (one - z) * (one - (n * n));
                T dar = dan * hhN[s + j] * r * (one - r);
                T daz = d * (hPrev[s + j] - n) * z * (one - z);
                dProjected[r3 + j] = dHh[r3 + j] = dar;
                dProjected[r3 + hidden + j] = dHh[r3 + hidden + j] = daz;
                dProjected[r3 + (2 * hidden) + j] = dan;
                dHh[r3 + (2 * hidden) + j] = dan * r;
                dhPrev[s + j] = d * z;
            }
        }
    }
}
