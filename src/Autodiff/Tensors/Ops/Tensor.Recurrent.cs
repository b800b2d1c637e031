using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Tensor
{
    /// <summary>
    /// The LSTM recurrence over a whole sequence, fused: from the input's projection P [T, B, 4H] (x·W_ihᵀ + b_ih +
    /// b_hh for every step, gates in PyTorch's order i, f, g, o), the initial states h₀, c₀ [B, H] and W_hh [4H, H],
    /// every step's hidden and cell state, as Y [2, T, B, H]: Y[0, t] = hₜ, Y[1, t] = cₜ.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Step t: a = Pₜ + hₜ₋₁·W_hhᵀ; i, f, o = σ(a), g = tanh(a); cₜ = f·cₜ₋₁ + i·g; hₜ = o·tanh cₜ.
    /// </para>
    /// <para>
    /// Backward, from t = T − 1 down, with ∂L/∂h and ∂L/∂c carried from the step after: ∂L/∂c = dY_c + dc₊₁ +
    /// dh·o·(1 − tanh²c); the pre-activations' adjoints dA = (∂L/∂c·g·i(1 − i), ∂L/∂c·cₜ₋₁·f(1 − f),
    /// ∂L/∂c·i·(1 − g²), dh·tanh c·o(1 − o)) are ∂L/∂Pₜ; dh₋₁ = dA·W_hh and dc₋₁ = ∂L/∂c·f go to the step before;
    /// and ∂L/∂W_hh = Σₜ dAₜᵀ·hₜ₋₁, one product over all steps at the end. The fused form runs this from the saved
    /// activations, one pointwise pass per step and one product per step and direction; the composed form (recorded
    /// sweeps, higher derivatives) writes the same recurrence with the engine's ops.
    /// </para>
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="projected">P [T, B, 4H], time first.</param>
    /// <param name="h0">h₀ [B, H].</param>
    /// <param name="c0">c₀ [B, H].</param>
    /// <param name="weightHh">W_hh [4H, H].</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> LstmRecurrence<T>(Tensor<T> projected, Tensor<T> h0, Tensor<T> c0, Tensor<T> weightHh, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(projected);
        ArgumentNullException.ThrowIfNull(h0);
        ArgumentNullException.ThrowIfNull(c0);
        ArgumentNullException.ThrowIfNull(weightHh);
        if (weightHh.Rank != 2 || weightHh.Shape[0] != 4 * weightHh.Shape[1] || weightHh.Shape[1] < 1
            || projected.Rank != 3 || projected.Shape[0] < 1 || projected.Shape[2] != weightHh.Shape[0]
            || !h0.Shape.SequenceEqual([projected.Shape[1], weightHh.Shape[1]]) || !c0.Shape.SequenceEqual(h0.Shape))
        {
            Shapes.Throw(nameof(LstmRecurrence), $"needs projected [T, B, 4H] with T ≥ 1, h0 and c0 [B, H] and weightHh [4H, H], got projected {Shapes.Format(projected.Shape)}, " +
                $"h0 {Shapes.Format(h0.Shape)}, c0 {Shapes.Format(c0.Shape)}, weightHh {Shapes.Format(weightHh.Shape)}.", file, line);
        }

        int steps = projected.Shape[0], batch = projected.Shape[1], hidden = weightHh.Shape[1], state = batch * hidden, gates = 4 * state;
        var y = new Tensor<T>(Uninitialized<T>(2 * steps * state), [2, steps, batch, hidden]);
        T[] activations = Uninitialized<T>(steps * gates), tanhC = Uninitialized<T>(steps * state);
        T[] p = projected.Data, w = weightHh.Data, ys = y.Data;
        for (int t = 0; t < steps; t++)
        {
            // a = Pₜ + hₜ₋₁·W_hhᵀ, straight into this step's slot of the saved activations.
            (T[] hPrev, int hAt) = t == 0 ? (h0.Data, 0) : (ys, (t - 1) * state);
            Array.Copy(p, t * gates, activations, t * gates, gates);
            Gemm.Multiply(hPrev, hAt, false, w, 0, true, activations, t * gates, batch, 4 * hidden, hidden, accumulate: true, Parallelism.MaxThreads);
            ReadOnlySpan<T> cPrev = t == 0 ? c0.Span : ys.AsSpan((steps + t - 1) * state, state);
            LstmCell.Forward(activations.AsSpan(t * gates, gates), cPrev, ys.AsSpan((steps + t) * state, state), tanhC.AsSpan(t * state, state),
                ys.AsSpan(t * state, state), batch, hidden);
        }

        return Autograd.Record(nameof(LstmRecurrence), y, g => Fusion.Composed
            ? LstmRecurrenceComposed(g, projected, h0, c0, weightHh, file, line)
            : Fusion.LstmRecurrenceBackward(g, projected, h0, c0, weightHh, y, activations, tanhC), file, line, projected, h0, c0, weightHh);
    }

    /// <summary>
    /// The backward recurrence of <see cref="LstmRecurrence{T}"/> written with the engine's ops on a recomputed
    /// forward pass, so that a recorded sweep can differentiate it again.
    /// </summary>
    private static Tensor<T>?[] LstmRecurrenceComposed<T>(Tensor<T> g, Tensor<T> projected, Tensor<T> h0, Tensor<T> c0, Tensor<T> weightHh, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = projected.Shape[0], hidden = weightHh.Shape[1];
        var hs = new Tensor<T>[steps + 1];
        var cs = new Tensor<T>[steps + 1];
        var acts = new (Tensor<T> I, Tensor<T> F, Tensor<T> G, Tensor<T> O, Tensor<T> TanhC)[steps];
        (hs[0], cs[0]) = (h0, c0);
        Tensor<T> wT = weightHh.Transpose(0, 1, file, line);
        for (int t = 0; t < steps; t++)
        {
            Tensor<T> a = projected.Select(0, t, file, line).Add(hs[t].MatMul(wT, file, line), file, line);
            Tensor<T> i = a.Narrow(1, 0, hidden, file, line).Sigmoid(file, line), f = a.Narrow(1, hidden, hidden, file, line).Sigmoid(file, line);
            Tensor<T> gg = a.Narrow(1, 2 * hidden, hidden, file, line).Tanh(file, line), o = a.Narrow(1, 3 * hidden, hidden, file, line).Sigmoid(file, line);
            cs[t + 1] = f.Mul(cs[t], file, line).Add(i.Mul(gg, file, line), file, line);
            Tensor<T> tc = cs[t + 1].Tanh(file, line);
            hs[t + 1] = o.Mul(tc, file, line);
            acts[t] = (i, f, gg, o, tc);
        }

        Tensor<T> gh = g.Select(0, 0, file, line), gc = g.Select(0, 1, file, line);
        var dP = new Tensor<T>[steps];
        Tensor<T>? dh = null, dc = null, dW = null;
        for (int t = steps - 1; t >= 0; t--)
        {
            (Tensor<T> i, Tensor<T> f, Tensor<T> gg, Tensor<T> o, Tensor<T> tc) = acts[t];
            Tensor<T> dhT = dh is null ? gh.Select(0, t, file, line) : gh.Select(0, t, file, line).Add(dh, file, line);
            Tensor<T> dcT = gc.Select(0, t, file, line).Add(dhT.Mul(o, file, line).Mul(tc.Mul(tc, file, line).RSub(T.One, file, line), file, line), file, line);
            if (dc is not null)
            {
                dcT = dcT.Add(dc, file, line);
            }

            Tensor<T> dA = Concat([
                dcT.Mul(gg, file, line).Mul(i.Mul(i.RSub(T.One, file, line), file, line), file, line),
                dcT.Mul(cs[t], file, line).Mul(f.Mul(f.RSub(T.One, file, line), file, line), file, line),
                dcT.Mul(i, file, line).Mul(gg.Mul(gg, file, line).RSub(T.One, file, line), file, line),
                dhT.Mul(tc, file, line).Mul(o.Mul(o.RSub(T.One, file, line), file, line), file, line)], axis: 1, file, line);
            dP[t] = dA;
            dc = dcT.Mul(f, file, line);
            dh = dA.MatMul(weightHh, file, line);
            Tensor<T> dWt = dA.Transpose(0, 1, file, line).MatMul(hs[t], file, line);
            dW = dW is null ? dWt : dW.Add(dWt, file, line);
        }

        return [
            projected.GradRequired ? Stack(dP, 0, file, line) : null,
            h0.GradRequired ? dh : null,
            c0.GradRequired ? dc : null,
            weightHh.GradRequired ? dW : null];
    }

    /// <summary>
    /// The GRU recurrence over a whole sequence, fused: from the input's projection P [T, B, 3H] (x·W_ihᵀ + b_ih for
    /// every step, gates in PyTorch's order r, z, n), h₀ [B, H], W_hh [3H, H] and b_hh [3H] (or null), every step's
    /// hidden state, Y [T, B, H].
    /// </summary>
    /// <remarks>
    /// <para>
    /// Step t: hh = hₜ₋₁·W_hhᵀ + b_hh; r = σ(P_r + hh_r), z = σ(P_z + hh_z), n = tanh(P_n + r·hh_n);
    /// hₜ = (1 − z)·n + z·hₜ₋₁ (b_hh stays apart from b_ih because r multiplies its n part, as in PyTorch).
    /// </para>
    /// <para>
    /// Backward, from t = T − 1 down, with dh = dYₜ + what step t + 1 sent back: da_n = dh·(1 − z)(1 − n²),
    /// da_r = da_n·hh_n·r(1 − r), da_z = dh·(hₜ₋₁ − n)·z(1 − z); ∂L/∂Pₜ = (da_r, da_z, da_n), ∂L/∂hhₜ =
    /// (da_r, da_z, da_n·r); dhₜ₋₁ = dh·z + ∂L/∂hhₜ·W_hh; ∂L/∂W_hh = Σₜ ∂L/∂hhₜᵀ·hₜ₋₁ (one product at the end) and
    /// ∂L/∂b_hh = Σₜ ∂L/∂hhₜ.
    /// </para>
    /// </remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="projected">P [T, B, 3H], time first.</param>
    /// <param name="h0">h₀ [B, H].</param>
    /// <param name="weightHh">W_hh [3H, H].</param>
    /// <param name="biasHh">b_hh [3H], or null for none.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> GruRecurrence<T>(Tensor<T> projected, Tensor<T> h0, Tensor<T> weightHh, Tensor<T>? biasHh = null, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(projected);
        ArgumentNullException.ThrowIfNull(h0);
        ArgumentNullException.ThrowIfNull(weightHh);
        if (weightHh.Rank != 2 || weightHh.Shape[0] != 3 * weightHh.Shape[1] || weightHh.Shape[1] < 1
            || projected.Rank != 3 || projected.Shape[0] < 1 || projected.Shape[2] != weightHh.Shape[0]
            || !h0.Shape.SequenceEqual([projected.Shape[1], weightHh.Shape[1]]) || (biasHh is not null && !biasHh.Shape.SequenceEqual([weightHh.Shape[0]])))
        {
            Shapes.Throw(nameof(GruRecurrence), $"needs projected [T, B, 3H] with T ≥ 1, h0 [B, H], weightHh [3H, H] and biasHh [3H], got projected {Shapes.Format(projected.Shape)}, " +
                $"h0 {Shapes.Format(h0.Shape)}, weightHh {Shapes.Format(weightHh.Shape)}, biasHh {(biasHh is null ? "none" : Shapes.Format(biasHh.Shape))}.", file, line);
        }

        int steps = projected.Shape[0], batch = projected.Shape[1], hidden = weightHh.Shape[1], state = batch * hidden, gates = 3 * state;
        var y = new Tensor<T>(Uninitialized<T>(steps * state), [steps, batch, hidden]);
        T[] activations = Uninitialized<T>(steps * gates), hhN = Uninitialized<T>(steps * state), hh = Uninitialized<T>(gates);
        T[] p = projected.Data, w = weightHh.Data, ys = y.Data;
        for (int t = 0; t < steps; t++)
        {
            (T[] hPrev, int hAt) = t == 0 ? (h0.Data, 0) : (ys, (t - 1) * state);
            if (biasHh is null)
            {
                Array.Clear(hh);
            }
            else
            {
                for (int b = 0; b < batch; b++)
                {
                    Array.Copy(biasHh.Data, 0, hh, b * 3 * hidden, 3 * hidden);
                }
            }

            Gemm.Multiply(hPrev, hAt, false, w, 0, true, hh, 0, batch, 3 * hidden, hidden, accumulate: true, Parallelism.MaxThreads);
            GruCell.Forward(p.AsSpan(t * gates, gates), hh.AsSpan(0, gates), hPrev.AsSpan(hAt, state), activations.AsSpan(t * gates, gates),
                hhN.AsSpan(t * state, state), ys.AsSpan(t * state, state), batch, hidden);
        }

        Tensor<T>[] inputs = biasHh is null ? [projected, h0, weightHh] : [projected, h0, weightHh, biasHh];
        return Autograd.Record(nameof(GruRecurrence), y, g => Fusion.Composed
            ? GruRecurrenceComposed(g, projected, h0, weightHh, biasHh, file, line)
            : Fusion.GruRecurrenceBackward(g, projected, h0, weightHh, biasHh, y, activations, hhN), file, line, inputs);
    }

    /// <summary>The backward recurrence of <see cref="GruRecurrence{T}"/> with the engine's ops on a recomputed forward pass.</summary>
    private static Tensor<T>?[] GruRecurrenceComposed<T>(Tensor<T> g, Tensor<T> projected, Tensor<T> h0, Tensor<T> weightHh, Tensor<T>? biasHh, string? file, int line)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = projected.Shape[0], hidden = weightHh.Shape[1];
        var hs = new Tensor<T>[steps + 1];
        var saved = new (Tensor<T> R, Tensor<T> Z, Tensor<T> N, Tensor<T> HhN)[steps];
        hs[0] = h0;
        Tensor<T> wT = weightHh.Transpose(0, 1, file, line);
        for (int t = 0; t < steps; t++)
        {
            Tensor<T> hh = hs[t].MatMul(wT, file, line);
            if (biasHh is not null)
            {
                hh = hh.Add(biasHh, file, line);
            }

            Tensor<T> pt = projected.Select(0, t, file, line);
            Tensor<T> r = pt.Narrow(1, 0, hidden, file, line).Add(hh.Narrow(1, 0, hidden, file, line), file, line).Sigmoid(file, line);
            Tensor<T> z = pt.Narrow(1, hidden, hidden, file, line).Add(hh.Narrow(1, hidden, hidden, file, line), file, line).Sigmoid(file, line);
            Tensor<T> hn = hh.Narrow(1, 2 * hidden, hidden, file, line);
            Tensor<T> n = pt.Narrow(1, 2 * hidden, hidden, file, line).Add(r.Mul(hn, file, line), file, line).Tanh(file, line);
            hs[t + 1] = n.Add(z.Mul(hs[t].Sub(n, file, line), file, line), file, line);
            saved[t] = (r, z, n, hn);
        }

        var dP = new Tensor<T>[steps];
        Tensor<T>? dh = null, dW = null, dB = null;
        for (int t = steps - 1; t >= 0; t--)
        {
            (Tensor<T> r, Tensor<T> z, Tensor<T> n, Tensor<T> hn) = saved[t];
            Tensor<T> d = dh is null ? g.Select(0, t, file, line) : g.Select(0, t, file, line).Add(dh, file, line);
            Tensor<T> dan = d.Mul(z.RSub(T.One, file, line), file, line).Mul(n.Mul(n, file, line).RSub(T.One, file, line), file, line);
            Tensor<T> dar = dan.Mul(hn, file, line).Mul(r.Mul(r.RSub(T.One, file, line), file, line), file, line);
            Tensor<T> daz = d.Mul(hs[t].Sub(n, file, line), file, line).Mul(z.Mul(z.RSub(T.One, file, line), file, line), file, line);
            dP[t] = Concat([dar, daz, dan], axis: 1, file, line);
            Tensor<T> dHh = Concat([dar, daz, dan.Mul(r, file, line)], axis: 1, file, line);
            dh = d.Mul(z, file, line).Add(dHh.MatMul(weightHh, file, line), file, line);
            Tensor<T> dWt = dHh.Transpose(0, 1, file, line).MatMul(hs[t], file, line), dBt = dHh.Sum(0, file: file, line: line);
            (dW, dB) = dW is null ? (dWt, dBt) : (dW.Add(dWt, file, line), dB!.Add(dBt, file, line));
        }

        Tensor<T>?[] grads = [projected.GradRequired ? Stack(dP, 0, file, line) : null, h0.GradRequired ? dh : null, weightHh.GradRequired ? dW : null];
        return biasHh is null ? grads : [.. grads, biasHh.GradRequired ? dB : null];
    }
}
