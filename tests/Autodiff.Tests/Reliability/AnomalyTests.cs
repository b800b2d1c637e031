namespace Autodiff.Tests.Reliability;

/// <summary>Anomaly mode: a NaN or infinity throws where it first appears, naming op, inputs, source line and pass.</summary>
[TestFixture]
public sealed class AnomalyTests
{
    [Test]
    public void Off_by_default_a_NaN_just_flows()
    {
        using var tape = new Tape();
        Assert.That(tape.DetectAnomalies, Is.False);
        Tensor<double> x = Tensor.FromArray<double>([-1.0, 4.0], 2).RequiresGrad();
        Tensor<double> y = x.Log().Sum();
        Assert.That(double.IsNaN(y.Item()));
        Assert.DoesNotThrow(() => y.Backward());
    }

    [Test]
    public void Tensor_forward_NaN_names_the_op_its_input_shapes_and_the_line()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Tensor<double> x = Tensor.FromArray<double>([1.0, -1.0, 4.0], 3).RequiresGrad();
        int line = 0;
        var ex = Assert.Throws<AnomalyException>(() =>
        {
            line = LineHere() + 1;
            _ = x.Log();
        });
        Assert.That(ex!.Phase, Is.EqualTo(AnomalyPhase.Forward));
        Assert.That(ex.Op, Is.EqualTo("Log"));
        Assert.That(ex.Line, Is.EqualTo(line));
        Assert.That(ex.Message, Does.Contain("forward pass").And.Contain("'Log'").And.Contain("[3]")
            .And.Contain($"AnomalyTests.cs:{line}").And.Contain("NaN at element 1"));
        Assert.That(ex, Is.InstanceOf<ArithmeticException>());
    }

    [Test]
    public void Tensor_forward_infinity_from_overflow_is_caught_in_float()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Tensor<float> x = Tensor.FromArray<float>([1f, 100f], 1, 2).RequiresGrad();
        var ex = Assert.Throws<AnomalyException>(() => x.Exp());
        Assert.That(ex!.Message, Does.Contain("'Exp'").And.Contain("+∞ at element 1").And.Contain("[1, 2]"));
    }

    [Test]
    public void Untracked_ops_on_a_detecting_tape_are_checked_too()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Tensor<double> x = Tensor.FromArray<double>([0.0], 1);
        Assert.Throws<AnomalyException>(() => x.Log());
    }

    [Test]
    public void Tensor_backward_infinity_names_the_rule_that_produced_it()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Tensor<double> x = Tensor.FromArray<double>([0.0, 4.0], 2).RequiresGrad();
        Tensor<double> y = x.Sqrt().Sum(); // √0 = 0 is finite; its derivative 1/(2√0) is not
        var ex = Assert.Throws<AnomalyException>(() => y.Backward());
        Assert.That(ex!.Phase, Is.EqualTo(AnomalyPhase.Backward));
        Assert.That(ex.Op, Is.EqualTo("Sqrt"));
        Assert.That(ex.Message, Does.Contain("backward pass").And.Contain("gradient for input 0").And.Contain("AnomalyTests.cs:"));
    }

    [Test]
    public void A_weight_gradient_that_overflows_is_blamed_on_Linear_even_though_it_would_be_written_in_place()
    {
        // Outside anomaly mode Linear writes ∂L/∂W straight into W.Grad; in it, the gradient is returned and checked.
        using var tape = new Tape { DetectAnomalies = true };
        Tensor<float> x = Tensor.Full(1e30f, 1, 2);
        Tensor<float> w = Tensor.Full(1e-30f, 1, 2).RequiresGrad();
        w.Grad = Tensor.Zeros<float>(1, 2);
        Tensor<float> loss = Tensor.Linear(x, w, null).Mul(1e20f).Sum(); // forward ≈ 2e20: finite
        var ex = Assert.Throws<AnomalyException>(() => loss.Backward()); // ∂L/∂W = 1e20 · 1e30: not in float
        Assert.That(ex!.Op, Is.EqualTo("Linear"));
        Assert.That(ex.Phase, Is.EqualTo(AnomalyPhase.Backward));
        Assert.That(ex.Message, Does.Contain("gradient for input 1"));
    }

    [Test]
    public void Custom_rule_returning_NaN_is_caught_in_backward()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0], 2).RequiresGrad();
        Tensor<double> y = Autograd.Custom<double>("Bad", [x], xs => xs[0].Clone(), (g, xs, r) => [Tensor.Full(double.NaN, 2)]);
        var ex = Assert.Throws<AnomalyException>(() => y.Sum().Backward());
        Assert.That(ex!.Op, Is.EqualTo("Bad"));
        Assert.That(ex.Phase, Is.EqualTo(AnomalyPhase.Backward));
    }

    [Test]
    public void Finite_computations_are_unaffected_and_give_the_same_gradient()
    {
        Tensor<double> Run(bool detect)
        {
            using var tape = new Tape { DetectAnomalies = detect };
            Tensor<double> x = Tensor.FromArray<double>([0.5, 1.5, 2.5], 3).RequiresGrad();
            (x.Exp() * x.Log()).Sum().Backward();
            return x.Grad!;
        }

        Assert.That(Run(true).ToArray(), Is.EqualTo(Run(false).ToArray()));
    }

    [Test]
    public void Scalar_forward_NaN_names_the_op_the_input_values_and_the_line()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Scalar x = tape.Variable(-2.0);
        int line = 0;
        var ex = Assert.Throws<AnomalyException>(() =>
        {
            line = LineHere() + 1;
            _ = Scalar.Sqrt(x);
        });
        Assert.That(ex!.Phase, Is.EqualTo(AnomalyPhase.Forward));
        Assert.That(ex.Op, Is.EqualTo("Sqrt"));
        Assert.That(ex.Message, Does.Contain("#1 = -2").And.Contain($"AnomalyTests.cs:{line}").And.Contain("NaN"));
    }

    [Test]
    public void Scalar_forward_anomaly_from_an_operator_says_it_has_no_line()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Scalar x = tape.Variable(1e200);
        var ex = Assert.Throws<AnomalyException>(() => _ = x * x);
        Assert.That(ex!.Op, Is.EqualTo("Multiply"));
        Assert.That(ex.File, Is.Null);
        Assert.That(ex.Message, Does.Contain("+∞").And.Contain("named form"));
    }

    [Test]
    public void Scalar_backward_infinity_names_the_entry_whose_partial_blew_up()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Scalar x = tape.Variable(0.0);
        Scalar y = Scalar.Sqrt(x) * 3.0;
        var ex = Assert.Throws<AnomalyException>(() => tape.Gradient(y, x));
        Assert.That(ex!.Phase, Is.EqualTo(AnomalyPhase.Backward));
        Assert.That(ex.Op, Is.EqualTo("Sqrt"));
        Assert.That(ex.Message, Does.Contain("∂/∂#1").And.Contain("AnomalyTests.cs:"));
        Assert.Throws<AnomalyException>(() => tape.Backward(y));
    }

    [Test]
    public void Scalar_anomaly_mode_off_leaves_the_scalar_gradient_unchanged()
    {
        double Run(bool detect)
        {
            using var tape = new Tape(capacity: 2) { DetectAnomalies = detect }; // grows on the slow path too
            Scalar x = tape.Variable(0.7);
            Scalar y = x;
            for (int i = 0; i < 100; i++)
            {
                y = Scalar.Sin(y) + (x * 0.5);
            }

            return tape.Gradient(y, x);
        }

        Assert.That(Run(true), Is.EqualTo(Run(false)));
    }

    private static int LineHere([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;
}
