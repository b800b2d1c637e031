namespace Autodiff.Tests.Scalars;

/// <summary>
/// The functions AAD code needs beyond the op table's random points: the subgradients chosen at their special
/// points, accuracy where the naive form loses every digit, and Toon's flux written without cancellation.
/// </summary>
[TestFixture]
public sealed class AadFunctionTests
{
    [Test]
    public void Hypot_and_atan2_have_zero_gradients_at_the_origin()
    {
        using var tape = new Tape();
        Scalar a = tape.Variable(0.0), b = tape.Variable(0.0);
        Assert.Multiple(() =>
        {
            Assert.That(tape.Gradient(Scalar.Hypot(a, b), a, b), Is.EqualTo(new[] { 0.0, 0.0 }));
            Assert.That(tape.Gradient(Scalar.Atan2(a, b), a, b), Is.EqualTo(new[] { 0.0, 0.0 }));
        });
    }

    [Test]
    public void Hypot_does_not_overflow_where_the_squares_would()
    {
        using var tape = new Tape();
        Scalar a = tape.Variable(3e200), b = tape.Variable(4e200);
        Scalar h = Scalar.Hypot(a, b);
        Assert.That(h.Value, Is.EqualTo(5e200).Within(1e-15 * 5e200));
        Assert.That(tape.Gradient(h, a, b), Is.EqualTo(new[] { 0.6, 0.8 }).Within(1e-15));
    }

    [Test]
    public void Atan2_gives_the_angle_in_every_quadrant_and_its_gradient()
    {
        foreach ((double y, double x) in new[] { (1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0), (2.0, 0.0) })
        {
            using var tape = new Tape();
            Scalar ys = tape.Variable(y), xs = tape.Variable(x);
            Scalar angle = Scalar.Atan2(ys, xs);
            double r2 = (x * x) + (y * y);
            Assert.That(angle.Value, Is.EqualTo(Math.Atan2(y, x)));
            Assert.That(tape.Gradient(angle, ys, xs), Is.EqualTo(new[] { x / r2, -y / r2 }).Within(1e-15), $"({x}, {y})");
        }
    }

    [Test]
    public void Expm1_and_log1p_keep_tiny_arguments_and_their_derivatives()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1e-17);
        Assert.Multiple(() =>
        {
            Assert.That(Scalar.Expm1(x).Value, Is.EqualTo(1e-17), "Exp(x) − 1 would give 0");
            Assert.That(Scalar.Log1p(x).Value, Is.EqualTo(1e-17), "Log(1 + x) would give 0");
            Assert.That(tape.Gradient(Scalar.Expm1(x), x), Is.EqualTo(1.0));
            Assert.That(tape.Gradient(Scalar.Log1p(x), x), Is.EqualTo(1.0));
        });

        // Far left, eˣ − 1 rounds to −1 but its derivative eˣ does not round to 0.
        Scalar far = tape.Variable(-50.0);
        Assert.That(tape.Gradient(Scalar.Expm1(far), far), Is.EqualTo(Math.Exp(-50.0)));
    }

    [Test]
    public void Max_and_min_with_a_constant_route_the_gradient_and_split_a_tie()
    {
        using var tape = new Tape();
        Scalar above = tape.Variable(3.0), below = tape.Variable(1.0), tie = tape.Variable(2.0);
        Assert.Multiple(() =>
        {
            Assert.That(tape.Gradient(Scalar.Max(above, 2.0), above), Is.EqualTo(1.0));
            Assert.That(tape.Gradient(Scalar.Max(below, 2.0), below), Is.EqualTo(0.0));
            Assert.That(tape.Gradient(Scalar.Max(tie, 2.0), tie), Is.EqualTo(0.5));
            Assert.That(tape.Gradient(Scalar.Min(above, 2.0), above), Is.EqualTo(0.0));
            Assert.That(tape.Gradient(Scalar.Min(below, 2.0), below), Is.EqualTo(1.0));
            Assert.That(tape.Gradient(Scalar.Min(tie, 2.0), tie), Is.EqualTo(0.5));
            Assert.That(Scalar.Max(below, 2.0).Value, Is.EqualTo(2.0));
            Assert.That(Scalar.Min(above, 2.0).Value, Is.EqualTo(2.0));
        });
    }

    [Test]
    public void Erf_and_erfc_are_complementary_with_opposite_derivatives()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(0.7);
        Scalar erf = Scalar.Erf(x), erfc = Scalar.Erfc(x);
        double density = 2.0 / Math.Sqrt(Math.PI) * Math.Exp(-0.49);
        Assert.Multiple(() =>
        {
            Assert.That(erf.Value + erfc.Value, Is.EqualTo(1.0).Within(1e-15));
            Assert.That(tape.Gradient(erf, x), Is.EqualTo(density).Within(1e-15));
            Assert.That(tape.Gradient(erfc, x), Is.EqualTo(-density).Within(1e-15));
            Assert.That(tape.Gradient(Scalar.Erf(x) - Scalar.NormalCdf(x * Math.Sqrt(2.0)) * 2.0, x), Is.EqualTo(0.0).Within(1e-15),
                "erf x = 2Φ(x√2) − 1");
        });
    }

    [Test]
    public void Toons_flux_with_expm1_keeps_its_digits_where_the_literal_form_cancels()
    {
        // Toon's flux (exp(c·ln(a/b)) − 1)·a·b/(a − b) at neighbours 1e-9 apart: the literal exp(…) − 1 keeps about
        // 9 digits (measured error 5.5e-11 of 0.19), Expm1(c·Log1p((a − b)/b)) all of them (a − b is exact here). The limit is c·a.
        const double C = 0.125;
        double a = 1.5 + 1e-9, b = 1.5;
        using var tape = new Tape();
        Scalar qa = tape.Variable(a), qb = tape.Variable(b);
        Scalar literal = (Scalar.Exp(C * Scalar.Log(qa / qb)) - 1.0) * qa * qb / (qa - qb);
        Scalar stable = Scalar.Expm1(C * Scalar.Log1p((qa - qb) / qb)) * qa * qb / (qa - qb);

        // Series of r^c − 1 in d = (a − b)/b: c·d + c(c − 1)/2·d² + …, times a·b/(a − b) = a/d.
        double d = (a - b) / b;
        double exact = a * (C + (C * (C - 1) / 2 * d) + (C * (C - 1) * (C - 2) / 6 * d * d));
        Assert.That(Math.Abs(stable.Value - exact), Is.LessThan(1e-15));
        Assert.That(Math.Abs(literal.Value - exact), Is.GreaterThan(1e-12), "the literal form cancels (if this fails, Math.Exp got better)");
    }
}
