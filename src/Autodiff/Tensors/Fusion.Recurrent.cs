using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

// The fused eager form of the LSTM recurrence's rule: the steps walked back from the saved activations, one pointwise
// pass and one product (dh₋₁ = dA·W_hh) per step, and the weight's gradient as one product over all steps at the end —
// where the composed form takes some twenty nodes per step and a full-size weight-gradient product for each.
internal static partial class Fusion
{
    /// <summary>
    /// The eager backward of <see cref="Tensor.LstmRecurrence{T}"/> from its output Y (every hₜ and cₜ), the saved
    /// activations (i, f, g, o per step) and tanh cₜ: gradients for P, h₀, c₀ and W_hh, null where not required.
    /// </summary>
    public static Tensor<T>?[] LstmRecurrenceBackward<T>(Tensor<T> g, Tensor<T> projected, Tensor<T> h0, Tensor<T> c0, Tensor<T> weightHh,
        Tensor<T> y, T[] activations, T[] tanhC)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = projected.Shape[0], batch = projected.Shape[1], hidden = weightHh.Shape[1], state = batch * hidden, gates = 4 * state;
        int threads = Parallelism.MaxThreads;
        T[] dy = g.Data, ys = y.Data, w = weightHh.Data;
        T[] dP = Tensor.Uninitialized<T>(steps * gates);
        T[] dh = Tensor.Uninitialized<T>(state), dhIn = Tensor.Uninitialized<T>(state), dc = Tensor.Uninitialized<T>(state);
        Array.Copy(dy, steps * state + ((steps - 1) * state), dc, 0, state);   // ∂L/∂c of the last step comes from outside only
        for (int t = steps - 1; t >= 0; t--)
        {
            // dh = the output's ∂L/∂hₜ + what step t + 1 sent back (dhIn, computed below in the previous round).
            if (t == steps - 1)
            {
                Array.Copy(dy, t * state, dh, 0, state);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dy.AsSpan(t * state, state), dhIn.AsSpan(0, state), dh.AsSpan(0, state));
                System.Numerics.Tensors.TensorPrimitives.Add(dc.AsSpan(0, state), dy.AsSpan((steps + t) * state, state), dc.AsSpan(0, state));
            }

            ReadOnlySpan<T> cPrev = t == 0 ? c0.Span : ys.AsSpan((steps + t - 1) * state, state);
            LstmCell.Backward(dh.AsSpan(0, state), dc.AsSpan(0, state), activations.AsSpan(t * gates, gates), cPrev, tanhC.AsSpan(t * state, state),
                dP.AsSpan(t * gates, gates), dc.AsSpan(0, state), batch, hidden);
            Gemm.Multiply(dP, t * gates, false, w, 0, false, dhIn, 0, batch, hidden, 4 * hidden, accumulate: false, threads);   // dh₋₁ = dA·W_hh
        }

        Tensor<T>? dW = null;
        if (weightHh.GradRequired)
        {
            // ∂L/∂W_hh = Σₜ dAₜᵀ·hₜ₋₁ = dPᵀ [4H, T·B] · [h₀; h₁ … h_{T−1}] [T·B, H], one product.
            T[] hPrev = PreviousStates(h0, ys, steps, state);
            dW = new Tensor<T>(Tensor.Uninitialized<T>(4 * hidden * hidden), [4 * hidden, hidden]);
            Gemm.Multiply(dP, 0, true, hPrev, 0, false, dW.Data, 0, 4 * hidden, hidden, steps * batch, accumulate: false, threads);
        }

        return [
            projected.GradRequired ? new Tensor<T>(dP, projected.ShapeArray()) : null,
            h0.GradRequired ? new Tensor<T>(dhIn[..state], h0.ShapeArray()) : null,
            c0.GradRequired ? new Tensor<T>(dc[..state], c0.ShapeArray()) : null,
            dW];
    }

    /// <summary>
    /// The eager backward of <see cref="Tensor.GruRecurrence{T}"/> from its output Y, the saved gates (r, z, n per step)
    /// and hh_n: gradients for P, h₀, W_hh and b_hh, null where not required.
    /// </summary>
    public static Tensor<T>?[] GruRecurrenceBackward<T>(Tensor<T> g, Tensor<T> projected, Tensor<T> h0, Tensor<T> weightHh, Tensor<T>? biasHh,
        Tensor<T> y, T[] activations, T[] hhN)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = projected.Shape[0], batch = projected.Shape[1], hidden = weightHh.Shape[1], state = batch * hidden, gates = 3 * state;
        int threads = Parallelism.MaxThreads;
        T[] dy = g.Data, ys = y.Data, w = weightHh.Data;
        T[] dP = Tensor.Uninitialized<T>(steps * gates), dHh = Tensor.Uninitialized<T>(steps * gates);
        T[] dh = Tensor.Uninitialized<T>(state), dhPrev = Tensor.Uninitialized<T>(state);
        Array.Copy(dy, (steps - 1) * state, dh, 0, state);
        for (int t = steps - 1; t >= 0; t--)
        {
            if (t < steps - 1)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dy.AsSpan(t * state, state), dhPrev.AsSpan(0, state), dh.AsSpan(0, state));
            }

            (T[] hPrev, int hAt) = t == 0 ? (h0.Data, 0) : (ys, (t - 1) * state);
            GruCell.Backward(dh.AsSpan(0, state), activations.AsSpan(t * gates, gates), hhN.AsSpan(t * state, state), hPrev.AsSpan(hAt, state),
                dP.AsSpan(t * gates, gates), dHh.AsSpan(t * gates, gates), dhPrev.AsSpan(0, state), batch, hidden);
            Gemm.Multiply(dHh, t * gates, false, w, 0, false, dhPrev, 0, batch, hidden, 3 * hidden, accumulate: true, threads);   // + ∂L/∂hh·W_hh
        }

        Tensor<T>? dW = null, dB = null;
        if (weightHh.GradRequired)
        {
            T[] hPrevAll = PreviousStates(h0, ys, steps, state);
            dW = new Tensor<T>(Tensor.Uninitialized<T>(3 * hidden * hidden), [3 * hidden, hidden]);
            Gemm.Multiply(dHh, 0, true, hPrevAll, 0, false, dW.Data, 0, 3 * hidden, hidden, steps * batch, accumulate: false, threads);
        }

        if (biasHh is not null && biasHh.GradRequired)
        {
            T[] sums = new T[3 * hidden];
            for (int row = 0; row < steps * batch; row++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(sums, dHh.AsSpan(row * 3 * hidden, 3 * hidden), sums);
            }

            dB = new Tensor<T>(sums, [3 * hidden]);
        }

        Tensor<T>?[] grads = [projected.GradRequired ? new Tensor<T>(dP, projected.ShapeArray()) : null, h0.GradRequired ? new Tensor<T>(dhPrev[..state], h0.ShapeArray()) : null, dW];
        return biasHh is null ? grads : [.. grads, dB];
    }

    /// <summary>
    /// Every step's previous hidden state back to back, [T·B, H]: h₀, then the first T − 1 hidden states of Y (which
    /// begin at Y's start for both recurrences) — the right-hand operand of the one weight-gradient product.
    /// </summary>
    private static T[] PreviousStates<T>(Tensor<T> h0, T[] ys, int steps, int state)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] previous = Tensor.Uninitialized<T>(steps * state);
        Array.Copy(h0.Data, 0, previous, 0, state);
        Array.Copy(ys, 0, previous, state, (steps - 1) * state);
        return previous;
    }
}
