using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Scalars;

/// <summary>
/// Second and third derivatives of scalar code through <see cref="Tape.RecordedGradient(Scalar, ReadOnlySpan{Scalar})"/>:
/// for every row of the scalar op table, the Jacobian of the recorded gradient (the Hessian) against central
/// differences of that gradient, and one level further; then closed forms and misuse.
/// </summary>
[TestFixture]
public sealed class ScalarHigherOrderTests
{
    public static IEnumerable<ScalarOpCase> Cases => ScalarOpTable.All;

    [TestCaseSource(nameof(Cases))]
    public void Hessian_matches_differences_of_the_plain_gradient(ScalarOpCase op)
    {
        Property property = Prop.ForAll(op.Domain.ToArbitrary(), x => SecondDerivativesMatch(op.Forward, x).Label($"{op.Name} at [{string.Join(", ", x)}]"));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    [TestCaseSource(nameof(Cases))]
    public void Third_derivatives_match_differences_of_the_second(ScalarOpCase op)
    {
        // The first component of the recorded gradient is a function like any other: its Hessian holds third derivatives.
        Func<Scalar[], Scalar> firstPartial = xs => Tape.Current!.RecordedGradient(op.Forward(xs), xs)[0];
        Property property = Prop.ForAll(op.Domain.ToArbitrary(), x => SecondDerivativesMatch(firstPartial, x).Label($"{op.Name} at [{string.Join(", ", x)}]"));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property);
    }

    /// <summary>
    /// The Jacobian of the recorded gradient (swept plainly) against central differences of the plain gradient —
    /// not of the recorded one, whose value a wrong rule would change consistently with its derivative.
    /// </summary>
    private static bool SecondDerivativesMatch(Func<Scalar[], Scalar> f, double[] x)
    {
        const double Eps = 1e-6;
        int n = x.Length;
        var analytic = new double[n, n];
        using (var tape = new Tape())
        {
            Scalar[] xs = tape.Variables(x);
            Scalar[] gradient = tape.RecordedGradient(f(xs), xs);
            for (int i = 0; i < n; i++)
            {
                double[] row = tape.Gradient(gradient[i], xs);
                for (int j = 0; j < n; j++)
                {
                    analytic[i, j] = row[j];
                }
            }
        }

        for (int j = 0; j < n; j++)
        {
            double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
            plus[j] += Eps;
            minus[j] -= Eps;
            double[] gPlus = PlainGradient(f, plus), gMinus = PlainGradient(f, minus);
            for (int i = 0; i < n; i++)
            {
                double numeric = (gPlus[i] - gMinus[i]) / (2 * Eps);
                if (!(Math.Abs(analytic[i, j] - numeric) <= 1e-6 + (1e-5 * Math.Abs(numeric))))
                {
                    TestContext.Out.WriteLine($"∂²/∂x{i}∂x{j}: recorded {analytic[i, j]:R}, differences {numeric:R}");
                    return false;
                }
            }
        }

        return true;
    }

    private static double[] PlainGradient(Func<Scalar[], Scalar> f, double[] x)
    {
        using var tape = new Tape();
        Scalar[] xs = tape.Variables(x);
        return tape.Gradient(f(xs), xs);
    }

    [Test]
    public void Recorded_gradient_has_the_plain_gradients_value()
    {
        foreach (ScalarOpCase op in ScalarOpTable.All)
        {
            double[] x = op.Domain.Sample(1, 1).Single();
            using var tape = new Tape();
            Scalar[] xs = tape.Variables(x);
            Scalar y = op.Forward(xs);
            double[] plain = tape.Gradient(y, xs);
            Scalar[] recorded = tape.RecordedGradient(y, xs);
            Assert.That(recorded.Select(g => g.Value), Is.EqualTo(plain).Within(1e-12), op.Name);
        }
    }

    [Test]
    public void Cube_has_second_derivative_6x_and_third_6()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1.7);
        Scalar y = x * x * x;
        Scalar dy = tape.RecordedGradient(y, x);
        Scalar d2y = tape.RecordedGradient(dy, x);
        Assert.Multiple(() =>
        {
            Assert.That(dy.Value, Is.EqualTo(3 * 1.7 * 1.7).Within(1e-12));
            Assert.That(d2y.Value, Is.EqualTo(6 * 1.7).Within(1e-12));
            Assert.That(tape.Gradient(d2y, x), Is.EqualTo(6.0).Within(1e-12));
        });
    }

    [Test]
    public void Sin_derivatives_cycle_through_cos_minus_sin_minus_cos()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(0.4);
        Scalar d = Scalar.Sin(x);
        double[] expected = [Math.Cos(0.4), -Math.Sin(0.4), -Math.Cos(0.4), Math.Sin(0.4)];
        foreach (double e in expected)
        {
            d = tape.RecordedGradient(d, x);
            Assert.That(d.Value, Is.EqualTo(e).Within(1e-12));
        }
    }

    [TestCase(1.0, 1.0)]
    [TestCase(-1.2, 1.0)]
    [TestCase(0.5, -0.3)]
    public void Rosenbrock_Hessian_matches_its_closed_form(double a, double b)
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(a), y = tape.Variable(b);
        Scalar f = Scalar.Pow(1.0 - x, 2.0) + (100.0 * Scalar.Pow(y - (x * x), 2.0));
        double[,] h = tape.Hessian(f, x, y);

        // f = (1 − x)² + 100(y − x²)²: f_xx = 2 − 400(y − x²) + 800x², f_xy = −400x, f_yy = 200.
        double[,] expected = { { 2 - (400 * (b - (a * a))) + (800 * a * a), -400 * a }, { -400 * a, 200 } };
        Assert.That(h, Is.EqualTo(expected).Within(1e-9));
    }

    [Test]
    public void Hessian_of_a_random_expression_is_symmetric_and_matches_the_tensor_engine()
    {
        double[] point = [0.3, -1.1, 0.8];
        using var tape = new Tape();
        Scalar[] v = tape.Variables(point);
        Scalar f = (Scalar.Exp(v[0] * v[1]) / (1.0 + (v[2] * v[2]))) + (Scalar.Tanh(v[0] - v[2]) * Scalar.Sin(v[1]));
        double[,] h = tape.Hessian(f, v);

        // The same function on tensors, differentiated by the tensor engine's own Hessian.
        Tensor<double> hessian = Autograd.Hessian(
            t =>
            {
                Tensor<double> t0 = t.Narrow(0, 0, 1), t1 = t.Narrow(0, 1, 1), t2 = t.Narrow(0, 2, 1);
                return (t0.Mul(t1).Exp().Div(t2.Mul(t2).Add(1.0)) + t0.Sub(t2).Tanh().Mul(t1.Sin())).Sum();
            },
            Tensor.FromArray<double>(point, [3]));
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.That(h[i, j], Is.EqualTo(h[j, i]).Within(1e-12), $"symmetry at ({i}, {j})");
                Assert.That(h[i, j], Is.EqualTo(hessian[i, j]).Within(1e-10), $"scalar vs tensor at ({i}, {j})");
            }
        }
    }

    [Test]
    public void Pow_at_zero_keeps_the_plain_rules_limits()
    {
        using var tape = new Tape();
        Scalar a = tape.Variable(0.0), b = tape.Variable(2.0);
        Scalar y = Scalar.Pow(a, b); // aᵇ at a = 0: ∂/∂a = b·aᵇ⁻¹ = 0, ∂/∂b taken as 0 (no 0·ln 0)
        Scalar[] g = tape.RecordedGradient(y, a, b);
        Assert.Multiple(() =>
        {
            Assert.That(g[0].Value, Is.Zero);
            Assert.That(g[1].Value, Is.Zero);
            Assert.That(tape.Gradient(g[0], a), Is.EqualTo(2.0), "∂²(aᵇ)/∂a² = b(b − 1)aᵇ⁻² = 2 at a = 0, b = 2");
        });
    }

    [Test]
    public void A_variable_the_output_does_not_depend_on_gets_a_recorded_zero()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(2.0), unused = tape.Variable(5.0);
        Scalar y = x * x;
        Scalar later = tape.Variable(1.0);
        Scalar[] g = tape.RecordedGradient(y, x, unused, later);
        Assert.That(g.Select(s => s.Value), Is.EqualTo(new[] { 4.0, 0.0, 0.0 }));
        Assert.That(tape.Gradient(g[1], x), Is.Zero);
    }

    [Test]
    public void Relu_and_abs_have_zero_second_derivative_away_from_the_kink()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(-0.7);
        Scalar y = (Scalar.Relu(x) + Scalar.Abs(x) + Scalar.LeakyRelu(x, 0.2)) * x;
        Scalar dy = tape.RecordedGradient(y, x);

        // y = (0 + (−x) + 0.2x)·x = −0.8x² for x < 0: y′ = −1.6x, y″ = −1.6.
        Assert.That(dy.Value, Is.EqualTo(-1.6 * -0.7).Within(1e-12));
        Assert.That(tape.Gradient(dy, x), Is.EqualTo(-1.6).Within(1e-12));
    }

    [Test]
    public void Recorded_gradient_on_a_tape_that_mixes_in_tensors_is_refused()
    {
        using var tape = new Tape();
        Tensor<double> t = Tensor.FromArray<double>([2.0], [1]).RequiresGrad();
        Scalar s = t.ToScalar();
        Scalar y = s * s;
        var e = Assert.Throws<NotSupportedException>(() => tape.RecordedGradient(y, s));
        Assert.That(e!.Message, Does.Contain("RecordedGradient").And.Contain("mixes"));
    }

    [Test]
    public void Recorded_gradient_of_a_stale_scalar_is_refused()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1.0);
        Scalar y = x * x;
        tape.Reset();
        var e = Assert.Throws<InvalidOperationException>(() => tape.RecordedGradient(y, x));
        Assert.That(e!.Message, Does.Contain("RecordedGradient").And.Contain("reset"));
    }
}
