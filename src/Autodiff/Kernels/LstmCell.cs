using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>
/// The pointwise part of one LSTM time step over a batch, forward and backward, for the fused recurrence
/// (<c>Tensor.LstmRecurrence</c>): the gates' activations, the cell and hidden states, and from their adjoints the
/// adjoints of the gates' pre-activations — one pass over each row instead of the fifteen nodes of the composed step.
/// </summary>
/// <remarks>Rows of the gates are [B, 4H] in PyTorch's order i, f, g, o; the states are [B, H].</remarks>
internal static class LstmCell
{
    /// <summary>
    /// From the pre-activations a = x·W_ihᵀ + b + h·W_hhᵀ: i, f, o = σ(a), g = tanh(a) (written over
    /// <paramref name="gates"/>), c = f·c₋₁ + i·g, tanh c and h = o·tanh c.
    /// </summary>
    public static void Forward<T>(Span<T> gates, ReadOnlySpan<T> cPrev, Span<T> c, Span<T> tanhC, Span<T> h, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            Span<T> row = gates.Slice(b * 4 * hidden, 4 * hidden);
            Span<T> i = row[..hidden], f = row.Slice(hidden, hidden), g = row.Slice(2 * hidden, hidden), o = row.Slice(3 * hidden, hidden);
            TensorPrimitives.Sigmoid(row[..(2 * hidden)], row[..(2 * hidden)]);   // i and f, side by side
            TensorPrimitives.Tanh(g, g);
            TensorPrimitives.Sigmoid(o, o);
            Span<T> cRow = c.Slice(b * hidden, hidden), tRow = tanhC.Slice(b * hidden, hidden);
            TensorPrimitives.Multiply(f, cPrev.Slice(b * hidden, hidden), cRow);
            TensorPrimitives.FusedMultiplyAdd(i, g, cRow, cRow);
            TensorPrimitives.Tanh(cRow, tRow);
            TensorPrimitives.Multiply(o, tRow, h.Slice(b * hidden, hidden));
        }
    }

    /// <summary>
    /// One step back: from ∂L/∂h (all of it: the output's and the next step's) and the part of ∂L/∂c from outside
    /// and the next step, the adjoints of the four pre-activations (into <paramref name="dGates"/>) and
    /// ∂L/∂c₋₁ = ∂L/∂c · f (into <paramref name="dcPrev"/>, which may be <paramref name="dcIn"/>).
    /// </summary>
    /// <remarks>
    /// ∂L/∂c = dcIn + dh·o·(1 − tanh²c); then di = ∂L/∂c·g, df = ∂L/∂c·c₋₁, dg = ∂L/∂c·i, do = dh·tanh c, each
    /// times its activation's derivative: σ′ = σ(1 − σ), tanh′ = 1 − tanh².
    /// </remarks>
    public static void Backward<T>(ReadOnlySpan<T> dh, ReadOnlySpan<T> dcIn, ReadOnlySpan<T> gates, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> tanhC,
        Span<T> dGates, Span<T> dcPrev, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T one = T.One;
        for (int b = 0; b < batch; b++)
        {
            int s = b * hidden, r = b * 4 * hidden;
            for (int j = 0; j < hidden; j++)
            {
                T i = gates[r + j], f = gates[r + hidden + j], g = gates[r + (2 * hidden) + j], o = gates[r + (3 * hidden) + j];
                T t = tanhC[s + j], d = dh[s + j];
                T dc = dcIn[s + j] + (d * o * (one - (t * t)));
                dGates[r + j] = dc * g * i * (one - i);
                dGates[r + hidden + j] = dc * cPrev[s + j] * f * (one - f);
                dGates[r + (2 * hidden) + j] = dc * i * (one - (g * g));
                dGates[r + (3 * hidden) + j] = d * t * o * (one - o);
                dcPrev[s + j] = dc * f;
            }
        }
    }
}
