namespace Autodiff.Tests.Scalars;

/// <summary>Derivatives computed by hand, and the worked function of note 000 against its closed form.</summary>
[TestFixture]
public sealed class ScalarGoldenTests
{
    [Test]
    public void Product_and_sine_at_two_three()
    {
        // f = x·y + sin x  ⇒  ∂f/∂x = y + cos x = 3 + cos 2,  ∂f/∂y = x = 2
        using var tape = new Tape();
        Scalar x = tape.Variable(2), y = tape.Variable(3);
        Scalar f = (x * y) + Scalar.Sin(x);
        Assert.That(f.Value, Is.EqualTo(6 + Math.Sin(2)).Within(1e-15));
        Assert.That(tape.Gradient(f, x), Is.EqualTo(3 + Math.Cos(2)).Within(1e-15));
        Assert.That(tape.Gradient(f, y), Is.EqualTo(2.0));
    }

    [Test]
    public void A_value_used_many_times_accumulates()
    {
        // f = x·x·x + x  ⇒  f′ = 3x² + 1 = 13 at x = 2
        using var tape = new Tape();
        Scalar x = tape.Variable(2);
        Scalar f = (x * x * x) + x;
        Assert.That(tape.Gradient(f, x), Is.EqualTo(13.0));
    }

    [Test]
    public void Shared_subexpression_fans_out()
    {
        // u = x + y, f = u·u + exp(u)  ⇒  ∂f/∂x = ∂f/∂y = 2u + eᵘ, u = 1.5
        using var tape = new Tape();
        Scalar x = tape.Variable(0.5), y = tape.Variable(1);
        Scalar u = x + y;
        Scalar f = (u * u) + Scalar.Exp(u);
        double expected = 3 + Math.Exp(1.5);
        Assert.That(tape.Gradient(f, [x, y]), Is.EqualTo(new[] { expected, expected }).Within(1e-14));
    }

    [Test]
    public void Quotient_rule()
    {
        // f = x / y  ⇒  ∂f/∂x = 1/y = 0.25, ∂f/∂y = −x/y² = −3/16
        using var tape = new Tape();
        Scalar x = tape.Variable(3), y = tape.Variable(4);
        Gradients g = tape.Backward(x / y);
        Assert.That(g[x], Is.EqualTo(0.25));
        Assert.That(g[y], Is.EqualTo(-3.0 / 16));
    }

    [Test]
    public void Asking_twice_gives_the_same_answer()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(0.7);
        Scalar f = Scalar.Tanh(x * x);
        double first = tape.Gradient(f, x);
        double second = tape.Gradient(f, x);
        Gradients g1 = tape.Backward(f), g2 = tape.Backward(f);
        Assert.That(second, Is.EqualTo(first));
        Assert.That(g1[x], Is.EqualTo(first));
        Assert.That(g2[x], Is.EqualTo(first));
    }

    [Test]
    public void A_variable_the_output_does_not_depend_on_gets_zero()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1), unused = tape.Variable(5);
        Scalar f = x * 2.0;
        Scalar later = tape.Variable(9);
        Assert.That(tape.Gradient(f, unused), Is.Zero);
        Assert.That(tape.Gradient(f, later), Is.Zero);
        Assert.That(tape.Backward(f)[later], Is.Zero);
    }

    [Test]
    public void An_infinite_partial_off_the_path_does_not_leak_nan()
    {
        // √x at 0 has derivative +∞; it is recorded but f does not use it, so ∂f/∂x stays finite.
        using var tape = new Tape();
        Scalar x = tape.Variable(0);
        _ = Scalar.Sqrt(x);
        Scalar f = x * 3.0;
        Assert.That(tape.Gradient(f, x), Is.EqualTo(3.0));
    }

    [Test]
    public void Subgradients_at_kinks_are_the_declared_ones()
    {
        using var tape = new Tape();
        Scalar zero = tape.Variable(0);
        Assert.That(tape.Gradient(Scalar.Relu(zero), zero), Is.Zero, "ReLU′(0) = 0");
        Assert.That(tape.Gradient(Scalar.Abs(zero), zero), Is.Zero, "|x|′(0) = 0");
        Assert.That(tape.Gradient(Scalar.LeakyRelu(zero, 0.2), zero), Is.EqualTo(0.2), "LeakyReLU′(0) = slope");
        Scalar a = tape.Variable(1.5), b = tape.Variable(1.5);
        Assert.That(tape.Gradient(Scalar.Max(a, b), [a, b]), Is.EqualTo(new[] { 0.5, 0.5 }), "Max tie splits evenly");
        Assert.That(tape.Gradient(Scalar.Min(a, b), [a, b]), Is.EqualTo(new[] { 0.5, 0.5 }), "Min tie splits evenly");
        Assert.That(tape.Gradient(Scalar.Pow(zero, 0.0), zero), Is.Zero, "d/dx x⁰ = 0 at 0");
        Scalar e = tape.Variable(2);
        Assert.That(tape.Gradient(Scalar.Pow(zero, e), e), Is.Zero, "∂/∂b 0ᵇ = 0 for b > 0, not NaN");
    }

    [Test]
    public void Numerically_careful_forms_hold_at_extremes()
    {
        using var tape = new Tape();
        Scalar big = tape.Variable(800), small = tape.Variable(-800), tiny = tape.Variable(-50);
        Assert.That(Scalar.Sigmoid(big).Value, Is.EqualTo(1.0));
        Assert.That(Scalar.Sigmoid(small).Value, Is.EqualTo(0.0));
        Assert.That(tape.Gradient(Scalar.Sigmoid(small), small), Is.Zero);
        Assert.That(Scalar.Softplus(big).Value, Is.EqualTo(800.0));
        Assert.That(tape.Gradient(Scalar.Softplus(big), big), Is.EqualTo(1.0));
        // softplus(−50) = log1p(e⁻⁵⁰) ≈ e⁻⁵⁰ (a naive log(1 + e⁻⁵⁰) rounds to 0)
        Assert.That(Scalar.Softplus(tiny).Value, Is.EqualTo(Math.Exp(-50)).Within(1e-15).Percent);
        Assert.That(Scalar.Gelu(small).Value, Is.EqualTo(-0.0).Within(1e-300));
        Assert.That(Scalar.Gelu(big).Value, Is.EqualTo(800.0));
    }

    [Test]
    public void Gelu_matches_published_values()
    {
        // x·Φ(x) with Φ(1) = 0.8413447460685429, Φ(−1) = 0.15865525393145707, Φ(2) = 0.9772498680518208.
        using var tape = new Tape();
        Assert.That(Scalar.Gelu(tape.Variable(1)).Value, Is.EqualTo(0.8413447460685429).Within(1e-15));
        Assert.That(Scalar.Gelu(tape.Variable(-1)).Value, Is.EqualTo(-0.15865525393145707).Within(1e-15));
        Assert.That(Scalar.Gelu(tape.Variable(2)).Value, Is.EqualTo(2 * 0.9772498680518208).Within(2e-15));
        // GELU′(0) = Φ(0) = ½
        Scalar zero = tape.Variable(0);
        Assert.That(tape.Gradient(Scalar.Gelu(zero), zero), Is.EqualTo(0.5).Within(1e-16));
    }

    /// <summary>Note 000, eq. 5.109: f(x) = √(x² + exp(x²)) + cos(x² + exp(x²)).</summary>
    private static Scalar Eq5109(Scalar x)
        => Scalar.Sqrt((x * x) + Scalar.Exp(x * x)) + Scalar.Cos((x * x) + Scalar.Exp(x * x));

    /// <summary>Note 000, eq. 5.110: df/dx = 2x·(1/(2√(x² + exp(x²))) − sin(x² + exp(x²)))·(1 + exp(x²)).</summary>
    private static double Eq5110(double x)
    {
        double e = Math.Exp(x * x);
        return 2 * x * ((1 / (2 * Math.Sqrt((x * x) + e))) - Math.Sin((x * x) + e)) * (1 + e);
    }

    [Test]
    public void Note000_worked_function_matches_its_closed_form_at_50_points()
    {
        using var tape = new Tape();
        for (int k = 0; k < 50; k++)
        {
            double x = -2 + (4.0 * k / 49);
            tape.Reset();
            Scalar xv = tape.Variable(x);
            double dfdx = tape.Gradient(Eq5109(xv), xv);
            double expected = Eq5110(x);
            Assert.That(dfdx, Is.EqualTo(expected).Within(1e-12 * Math.Max(1, Math.Abs(expected))), $"x = {x}");
        }
    }
}
