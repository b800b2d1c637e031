namespace Autodiff.Tests.Scalars;

/// <summary>
/// The VJP and the multi-output Jacobian into the caller's memory (issue 21): the same numbers as the copying
/// <c>Backward(outputs, seeds)</c> and as one <c>Gradient</c> per output, no allocation once the tape is warm, and a
/// destination of the wrong length refused before anything is swept.
/// </summary>
[TestFixture]
public sealed class VjpIntoSpanTests
{
    // y₀ = sin(a·b) + c², y₁ = exp(a − c)·b, y₂ = a (one output is an input).
    private static (Scalar[] Inputs, Scalar[] Outputs) Record(Tape tape, double a0, double b0, double c0)
    {
        Scalar a = tape.Variable(a0), b = tape.Variable(b0), c = tape.Variable(c0);
        return ([a, b, c], [Scalar.Sin(a * b) + (c * c), Scalar.Exp(a - c) * b, a]);
    }

    [TestCase(0.3, -1.2, 0.7, 1.0, 0.0, 0.0)]
    [TestCase(1.5, 0.4, -0.2, 0.5, -2.0, 3.0)]
    [TestCase(-0.8, 2.2, 1.1, 0.0, 1.0, -1.0)]
    public void Vjp_equals_the_copying_backward(double a0, double b0, double c0, double v0, double v1, double v2)
    {
        using var tape = new Tape();
        (Scalar[] x, Scalar[] y) = Record(tape, a0, b0, c0);
        double[] seeds = [v0, v1, v2];
        Gradients expected = tape.Backward(y, seeds);
        var actual = new double[3];
        tape.Vjp(y, seeds, x, actual);
        Assert.That(actual, Is.EqualTo(x.Select(xi => expected[xi]).ToArray()));

        // By hand, for the first row: ∂y₀/∂a = cos(ab)·b, ∂y₀/∂b = cos(ab)·a, ∂y₀/∂c = 2c.
        tape.Vjp(y, [1.0, 0.0, 0.0], x, actual);
        Assert.That(actual, Is.EqualTo(new[] { Math.Cos(a0 * b0) * b0, Math.Cos(a0 * b0) * a0, 2 * c0 }).Within(1e-15));
    }

    [Test]
    public void Jacobian_rows_are_the_gradients_of_each_output_and_allocate_nothing_when_warm()
    {
        using var tape = new Tape();
        (Scalar[] x, Scalar[] y) = Record(tape, 0.3, -1.2, 0.7);
        var jacobian = new double[9];
        tape.Jacobian(y, x, jacobian);
        for (int j = 0; j < 3; j++)
        {
            Assert.That(jacobian[(j * 3)..((j * 3) + 3)], Is.EqualTo(tape.Gradient(y[j], x)), $"row {j}");
        }

        Assert.That(jacobian[6..], Is.EqualTo(new[] { 1.0, 0, 0 }));
        var vjp = new double[3];
        double[] seeds = [0.5, -1.0, 2.0];
        tape.Vjp(y, seeds, x, vjp);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            tape.Jacobian(y, x, jacobian);
            tape.Vjp(y, seeds, x, vjp);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "warm: no allocation");
    }

    [Test]
    public void A_destination_of_the_wrong_length_is_refused_naming_the_op()
    {
        using var tape = new Tape();
        (Scalar[] x, Scalar[] y) = Record(tape, 0.3, -1.2, 0.7);
        var error = Assert.Throws<ArgumentException>(() => tape.Vjp(y, [1.0, 1.0, 1.0], x, new double[2]));
        Assert.That(error!.Message, Does.StartWith("Vjp: destination has length 2 but there are 3 variables"));
        error = Assert.Throws<ArgumentException>(() => tape.Jacobian(y, x, new double[8]));
        Assert.That(error!.Message, Does.StartWith("Jacobian: destination has length 8 but 3 outputs × 3 variables need 9"));
        error = Assert.Throws<ArgumentException>(() => tape.Vjp(y, [1.0], x, new double[3]));
        Assert.That(error!.Message, Does.StartWith("Vjp: 3 outputs but 1 seeds"));
    }
}
