namespace Autodiff.Tests.Scalars;

/// <summary>The gradient checker must pass correct derivatives and catch wrong ones, in both modes.</summary>
[TestFixture]
public sealed class GradCheckTests
{
    /// <summary>f(x) = Σ xᵢ², whose VJP we can corrupt at one input.</summary>
    private sealed class SumOfSquares(int wrongInput, double wrongBy) : IDifferentiableFunction
    {
        public double[] Evaluate(double[] x) => [x.Sum(v => v * v)];

        public double[] VectorJacobianProduct(double[] x, double[] v)
        {
            double[] g = x.Select(xi => 2 * xi * v[0]).ToArray();
            if (wrongInput >= 0)
            {
                g[wrongInput] += wrongBy * v[0];
            }

            return g;
        }
    }

    private static double[] Point(int n) => Enumerable.Range(0, n).Select(i => Math.Sin(i + 1.0)).ToArray();

    [Test]
    public void Correct_derivatives_pass_in_full_mode_with_tiny_errors()
    {
        GradCheckReport report = GradCheck.Check(new SumOfSquares(-1, 0), Point(5), GradCheckOptions.Default);
        Assert.That(report.Passed, Is.True, report.ToString());
        Assert.That(report.Mode, Is.EqualTo(GradCheckMode.FullJacobian));
        Assert.That(report.Compared, Is.EqualTo(5));
        Assert.That(report.MaxAbsoluteError, Is.LessThan(1e-8));
    }

    [Test]
    public void A_wrong_derivative_fails_and_the_report_names_its_index()
    {
        GradCheckReport report = GradCheck.Check(new SumOfSquares(3, 0.05), Point(5), GradCheckOptions.Default);
        Assert.That(report.Passed, Is.False);
        Assert.That(report.WorstInput, Is.EqualTo(3));
        Assert.That(report.WorstOutput, Is.Zero);
        Assert.That(report.MaxAbsoluteError, Is.EqualTo(0.05).Within(1e-8));
        Assert.That(report.ToString(), Does.Contain("FAILED").And.Contain("∂out[0]/∂in[3]"));
    }

    [Test]
    public void Random_directions_catch_a_wrong_derivative_among_many_inputs()
    {
        var options = GradCheckOptions.Default with { Mode = GradCheckMode.RandomDirections };
        Assert.That(GradCheck.Check(new SumOfSquares(-1, 0), Point(10_000), options).Passed, Is.True);
        GradCheckReport bad = GradCheck.Check(new SumOfSquares(4321, 1.0), Point(10_000), options);
        Assert.That(bad.Passed, Is.False, bad.ToString());
        Assert.That(bad.Mode, Is.EqualTo(GradCheckMode.RandomDirections));
    }

    [Test]
    public void Auto_mode_switches_to_random_directions_for_large_inputs()
    {
        GradCheckReport report = GradCheck.Check(new SumOfSquares(-1, 0), Point(5000), GradCheckOptions.Default);
        Assert.That(report.Mode, Is.EqualTo(GradCheckMode.RandomDirections));
        Assert.That(report.Compared, Is.EqualTo(GradCheckOptions.Default.Directions));
        Assert.That(report.Passed, Is.True);
    }

    [Test]
    public void Assert_throws_with_the_report_on_failure()
    {
        // Relu at its kink: the tape says 0 (the declared subgradient), the central difference says ½.
        var ex = Assert.Throws<GradCheckException>(() => GradCheck.Assert(xs => Scalar.Relu(xs[0]), [0.0]));
        Assert.That(ex!.Report, Is.Not.Null);
        Assert.That(ex.Report!.WorstNumeric, Is.EqualTo(0.5).Within(1e-9));
        Assert.That(ex.Report.WorstAnalytic, Is.Zero);
        Assert.That(GradCheck.Assert(xs => Scalar.Relu(xs[0]), [0.3]).Passed, Is.True);
    }

    [Test]
    public void Vector_valued_functions_check_every_jacobian_entry()
    {
        // Note 001: f(x) = [2x₁ + x₂, πx₂, −x₁/x₂]
        static Scalar[] F(Scalar[] x) => [(2.0 * x[0]) + x[1], Math.PI * x[1], -x[0] / x[1]];
        GradCheckReport report = GradCheck.Assert(F, [1.5, -0.7]);
        Assert.That(report.Compared, Is.EqualTo(6));
    }

    [Test]
    public void Nan_derivatives_fail()
    {
        GradCheckReport report = GradCheck.Check(xs => Scalar.Sqrt(xs[0]), [-1.0]);
        Assert.That(report.Passed, Is.False);
        Assert.That(double.IsNaN(report.MaxAbsoluteError), Is.True);
    }

    [Test]
    public void Defaults_are_pytorchs()
    {
        Assert.That(GradCheckOptions.Default.Eps, Is.EqualTo(1e-6));
        Assert.That(GradCheckOptions.Default.AbsoluteTolerance, Is.EqualTo(1e-5));
        Assert.That(GradCheckOptions.Default.RelativeTolerance, Is.EqualTo(1e-3));
    }
}
