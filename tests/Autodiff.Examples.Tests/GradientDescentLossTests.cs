namespace Autodiff.Examples.Tests;

/// <summary>
/// The series that examples/GradientDescent plots as its loss curve, against what the mathematics allows. With
/// e = f − 2 = 1.5x² + y² and the step x ← (1 − 3η)x, y ← (1 − 2η)y, e shrinks each step by a factor between
/// (1 − 3η)² and (1 − 2η)², so log₁₀ e moves by at most max(2·|log₁₀|1 − 3η||, 2·|log₁₀|1 − 2η||) per step.
/// A cliff in the curve (as f − 2 computed in double gave once f rounded to 2) is a plot of rounding, not of descent.
/// </summary>
[TestFixture]
public sealed class GradientDescentLossTests
{
    private const int Steps = 200;   // the full run; --quick draws the first 60 of them
    private const double Tolerance = 1e-9;

    [TestCase(0.1)]
    [TestCase(0.001)]
    [TestCase(0.665757)]
    public void The_loss_series_has_no_step_larger_than_the_iteration_allows(double eta)
    {
        double[] series = Descent.LogExcess(Descent.Run(eta, Steps));
        double bound = Math.Max(2 * Math.Abs(Math.Log10(Math.Abs(1 - (3 * eta)))), 2 * Math.Abs(Math.Log10(Math.Abs(1 - (2 * eta)))));

        Assert.That(series, Has.Length.EqualTo(Steps + 1));
        Assert.That(series, Has.All.Matches<double>(double.IsFinite), "every point of the curve is a number");
        int worst = Enumerable.Range(0, Steps).MaxBy(t => Math.Abs(series[t + 1] - series[t]));
        double largest = Math.Abs(series[worst + 1] - series[worst]);
        Assert.That(largest, Is.LessThanOrEqualTo(bound + Tolerance),
            $"η = {eta}: log₁₀(f − 2) goes from {series[worst]:G6} at t = {worst} to {series[worst + 1]:G6} at t = {worst + 1}, a step of {largest:G4}; the iteration allows {bound:G4}");
    }

    [Test]
    public void The_line_drawn_where_double_precision_ends_is_where_f_becomes_exactly_2()
    {
        Descent.Trajectory run = Descent.Run(0.1, Steps);
        int[] exactlyTwo = [.. Enumerable.Range(0, Steps + 1).Where(t => run.F[t] == 2.0)];
        int[] belowLine = [.. Enumerable.Range(0, Steps + 1).Where(t => Descent.Excess(run.Xs[t], run.Ys[t]) < Descent.FEqualsTwoBelow)];

        Assert.That(exactlyTwo, Is.Not.Empty, "η = 0.1 reaches f = 2 in double within the run");
        Assert.That(exactlyTwo, Is.EqualTo(belowLine));
        Assert.That(run.F[exactlyTwo[0] - 1], Is.EqualTo(2.0 + Math.ScaleB(1.0, -51)), "the step before, f is 2's next double");
    }
}
