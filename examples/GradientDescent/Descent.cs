namespace Autodiff.Examples;

/// <summary>
/// Gradient descent on note 004's f(x, y) = 1.5x² + y² + 2: the runs and the series that the example prints and
/// plots, in a class of their own so that tests/Autodiff.Examples.Tests can check them.
/// </summary>
public static class Descent
{
    /// <summary>The start of note 004's runs, (x, y) = (3, 2).</summary>
    public const double X0 = 3.0, Y0 = 2.0;

    /// <summary>f(x, y) = 1.5x² + y² + 2.</summary>
    public static double F(double x, double y) => (1.5 * x * x) + (y * y) + 2;

    /// <summary>One run: θₜ = (xₜ, yₜ) and f(θₜ) for t = 0 … steps.</summary>
    public sealed record Trajectory(double Eta, double[] Xs, double[] Ys, double[] F);

    /// <summary>
    /// <paramref name="steps"/> steps θ ← θ − η∇f from (<paramref name="x0"/>, <paramref name="y0"/>), the gradient
    /// from a scalar tape each step (reset, so the tape's storage is reused).
    /// </summary>
    public static Trajectory Run(double eta, int steps, double x0 = X0, double y0 = Y0)
    {
        var xs = new double[steps + 1];
        var ys = new double[steps + 1];
        var f = new double[steps + 1];
        (xs[0], ys[0]) = (x0, y0);
        using var tape = new Tape();
        Span<double> grad = stackalloc double[2];
        for (int t = 0; ; t++)
        {
            tape.Reset();
            Scalar x = tape.Variable(xs[t]), y = tape.Variable(ys[t]);
            Scalar ft = (1.5 * x * x) + (y * y) + 2.0;
            f[t] = ft.Value;
            if (t == steps)
            {
                break;
            }

            tape.Gradient(ft, [x, y], grad);
            xs[t + 1] = xs[t] - (eta * grad[0]);
            ys[t + 1] = ys[t] - (eta * grad[1]);
        }

        return new Trajectory(eta, xs, ys, f);
    }

    /// <summary>
    /// f − 2 = 1.5x² + y², computed as such: f(θ) − 2 in double would cancel, and is exactly 0 once f rounds to 2.
    /// </summary>
    public static double Excess(double x, double y) => (1.5 * x * x) + (y * y);

    /// <summary>
    /// 2⁻⁵² ≈ 2.2e-16: below this excess, f = 2 + excess rounds to exactly 2 in double (half the spacing 2⁻⁵¹ of the
    /// doubles in [2, 4)), so f itself says nothing more about how close θ is to the minimum.
    /// </summary>
    public static readonly double FEqualsTwoBelow = Math.ScaleB(1.0, -52);

    /// <summary>
    /// The loss plot's series: log₁₀ of the excess 1.5xₜ² + yₜ² for each step t, computed from θₜ without the
    /// cancellation of f − 2, so it keeps falling geometrically below the point where f rounds to 2.
    /// </summary>
    public static double[] LogExcess(Trajectory run) => [.. run.Xs.Zip(run.Ys, (x, y) => Math.Log10(Excess(x, y)))];
}
