namespace Autodiff.Bench;

/// <summary>
/// The two 1-D linear advection schemes of Hogan's Adept paper (ACM TOMS 40(4), 2014; the setup of the
/// <c>benchmark/</c> folder of rjhogan/Adept-2): NX = 100 points, 2,000 time steps, Courant number c = 0.125,
/// q₀[i] = 1.5 + 0.5·sin(2πi/(NX − 1.5)), and J = 0.1·Σ q_final, so the adjoint seed is 0.1 on every output.
/// The gradient wanted is ∂J/∂q₀ (100 numbers).
/// </summary>
/// <remarks>
/// <para>Each time step computes NX − 1 fluxes between neighbouring boxes, updates the inner boxes by the
/// difference of their fluxes, and copies the boundary (periodic: q[0] = q[NX − 2], q[NX − 1] = q[1]):</para>
/// <code>
///     Lax–Wendroff: flux[i] = ½c·(q[i] + q[i+1] + c·(q[i] − q[i+1]))                     (no mathematical functions)
///     Toon:         flux[i] = (exp(c·ln(q[i]/q[i+1])) − 1)·q[i]·q[i+1]/(q[i] − q[i+1])
///     both:         q[i] += flux[i−1] − flux[i]   for 1 ≤ i ≤ NX − 2
/// </code>
/// <para>The hand-written adjoints follow the paper's: Lax–Wendroff's is linear with constant coefficients
/// ½c(1 + c) and ½c(1 − c); Toon's keeps every step's q (NX·(nt + 1) doubles) and recomputes each flux's two
/// partials on the way back.</para>
/// </remarks>
public static class Advection
{
    public const int NX = 100;
    public const int Steps = 2000;
    public const double Courant = 0.125;
    public const double Seed = 0.1;

    /// <summary>The initial field of the paper's benchmark.</summary>
    public static double[] InitialField()
    {
        var q = new double[NX];
        for (int i = 0; i < NX; i++)
        {
            q[i] = 1.5 + (0.5 * Math.Sin(2.0 * Math.PI * i / (NX - 1.5)));
        }

        return q;
    }

    /// <summary>Lax–Wendroff in doubles; returns J.</summary>
    public static double LaxWendroff(ReadOnlySpan<double> q0, int steps)
    {
        Span<double> q = stackalloc double[NX];
        Span<double> flux = stackalloc double[NX - 1];
        q0.CopyTo(q);
        const double C = Courant;
        for (int j = 0; j < steps; j++)
        {
            for (int i = 0; i < NX - 1; i++)
            {
                flux[i] = 0.5 * C * (q[i] + q[i + 1] + (C * (q[i] - q[i + 1])));
            }

            for (int i = 1; i < NX - 1; i++)
            {
                q[i] += flux[i - 1] - flux[i];
            }

            q[0] = q[NX - 2];
            q[NX - 1] = q[1];
        }

        return Objective(q);
    }

    /// <summary>Toon in doubles; returns J.</summary>
    public static double Toon(ReadOnlySpan<double> q0, int steps)
    {
        Span<double> q = stackalloc double[NX];
        Span<double> flux = stackalloc double[NX - 1];
        q0.CopyTo(q);
        const double C = Courant;
        for (int j = 0; j < steps; j++)
        {
            for (int i = 0; i < NX - 1; i++)
            {
                flux[i] = (Math.Exp(C * Math.Log(q[i] / q[i + 1])) - 1.0) * q[i] * q[i + 1] / (q[i] - q[i + 1]);
            }

            for (int i = 1; i < NX - 1; i++)
            {
                q[i] += flux[i - 1] - flux[i];
            }

            q[0] = q[NX - 2];
            q[NX - 1] = q[1];
        }

        return Objective(q);
    }

    /// <summary>Lax–Wendroff's hand-written adjoint: forward pass, then the reverse pass; writes ∂J/∂q₀, returns J.</summary>
    public static double LaxWendroffAdjoint(ReadOnlySpan<double> q0, int steps, Span<double> gradient)
    {
        double value = LaxWendroff(q0, steps);
        Span<double> qAdj = stackalloc double[NX];
        Span<double> fluxAdj = stackalloc double[NX - 1];
        qAdj.Fill(Seed);
        fluxAdj.Clear();
        const double C = Courant;
        const double Left = 0.5 * C * (1.0 + C), Right = 0.5 * C * (1.0 - C);
        for (int j = steps - 1; j >= 0; j--)
        {
            qAdj[NX - 2] += qAdj[0];
            qAdj[0] = 0.0;
            qAdj[1] += qAdj[NX - 1];
            qAdj[NX - 1] = 0.0;
            for (int i = 1; i < NX - 1; i++)
            {
                fluxAdj[i - 1] += qAdj[i];
                fluxAdj[i] -= qAdj[i];
            }

            for (int i = 0; i < NX - 1; i++)
            {
                qAdj[i] += Left * fluxAdj[i];
                qAdj[i + 1] += Right * fluxAdj[i];
                fluxAdj[i] = 0.0;
            }
        }

        qAdj.CopyTo(gradient);
        return value;
    }

    /// <summary>
    /// Toon's hand-written adjoint: the forward pass keeps every step's field in <paramref name="history"/>
    /// (NX·(steps + 1) doubles), the reverse pass recomputes each flux's partials from it; writes ∂J/∂q₀, returns J.
    /// </summary>
    public static double ToonAdjoint(ReadOnlySpan<double> q0, int steps, Span<double> gradient, double[] history)
    {
        const double C = Courant;
        Span<double> flux = stackalloc double[NX - 1];
        q0.CopyTo(history);
        for (int j = 0; j < steps; j++)
        {
            ReadOnlySpan<double> q = history.AsSpan(j * NX, NX);
            Span<double> next = history.AsSpan((j + 1) * NX, NX);
            for (int i = 0; i < NX - 1; i++)
            {
                flux[i] = (Math.Exp(C * Math.Log(q[i] / q[i + 1])) - 1.0) * q[i] * q[i + 1] / (q[i] - q[i + 1]);
            }

            for (int i = 1; i < NX - 1; i++)
            {
                next[i] = q[i] + flux[i - 1] - flux[i];
            }

            next[0] = next[NX - 2];
            next[NX - 1] = next[1];
        }

        double value = Objective(history.AsSpan(steps * NX, NX));
        Span<double> qAdj = stackalloc double[NX];
        Span<double> fluxAdj = stackalloc double[NX - 1];
        qAdj.Fill(Seed);
        fluxAdj.Clear();
        for (int j = steps - 1; j >= 0; j--)
        {
            qAdj[NX - 2] += qAdj[0];
            qAdj[0] = 0.0;
            qAdj[1] += qAdj[NX - 1];
            qAdj[NX - 1] = 0.0;
            for (int i = 1; i < NX - 1; i++)
            {
                fluxAdj[i - 1] += qAdj[i];
                fluxAdj[i] -= qAdj[i];
            }

            ReadOnlySpan<double> q = history.AsSpan(j * NX, NX);
            for (int i = 0; i < NX - 1; i++)
            {
                // flux = (r^c − 1)·a·b/(a − b) with r = a/b; by the paper's corrected formulas, with u = 1/a, v = 1/b
                // and d = 1/(v − u): ∂flux/∂a = d·u·(c·r^c − (r^c − 1)·d·u), ∂flux/∂b = d·v·(−c·r^c + (r^c − 1)·d·v).
                double factor = Math.Exp(C * Math.Log(q[i] / q[i + 1]));
                double u = 1.0 / q[i], v = 1.0 / q[i + 1];
                double d = 1.0 / (v - u);
                qAdj[i] += d * u * ((C * factor) - ((factor - 1.0) * d * u)) * fluxAdj[i];
                qAdj[i + 1] += d * v * ((-C * factor) + ((factor - 1.0) * d * v)) * fluxAdj[i];
                fluxAdj[i] = 0.0;
            }
        }

        qAdj.CopyTo(gradient);
        return value;
    }

    /// <summary>J = 0.1·Σ q.</summary>
    public static double Objective(ReadOnlySpan<double> q)
    {
        double sum = 0.0;
        foreach (double v in q)
        {
            sum += v;
        }

        return Seed * sum;
    }

    /// <summary>
    /// How closely a Toon gradient can agree with another: the fluxes are 0/0 forms (during the run the closest
    /// neighbours differ by 2.4e-7), and the sum of a flux's partials cancels by as many digits. Two orders of the same
    /// reverse sweep (the tape's, and the op-by-op adjoint of the same expression written by hand) differ by 7e-7
    /// (6e-6 of the largest element), as do the paper's simplified partials and fourth-order central differences.
    /// </summary>
    public const double ToonTolerance = 1e-4;

    /// <summary>Throws unless <paramref name="actual"/> agrees with <paramref name="expected"/> to <paramref name="tolerance"/> relative to the largest element.</summary>
    public static void CheckAgainst(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what, double tolerance = 1e-12)
    {
        double scale = 0.0, worst = 0.0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        if (!(worst <= tolerance * scale))
        {
            throw new InvalidOperationException($"{what}: gradient differs from the hand-written adjoint by {worst:E2} (scale {scale:E2}).");
        }
    }
}
