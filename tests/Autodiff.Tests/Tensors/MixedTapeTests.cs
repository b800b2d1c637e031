namespace Autodiff.Tests.Tensors;

/// <summary>Scalars and tensors on one tape: gradients cross in both directions, in either kind of sweep.</summary>
public sealed class MixedTapeTests
{
    [Test]
    public void A_tensor_turned_scalar_sends_its_gradient_back_to_the_tensor_leaf()
    {
        Tensor<double> x = Tensor.FromArray<double>([0.3, -0.4, 0.5], [3]).RequiresGrad();
        using var tape = new Tape();
        Scalar s = x.Mul(x).Sum().ToScalar();              // s = Σx²
        Scalar y = Scalar.Sin(s) * s;                       // y = s·sin s
        Gradients g = tape.Backward(y);
        double sv = 0.09 + 0.16 + 0.25, dyds = Math.Sin(sv) + (sv * Math.Cos(sv));
        Assert.That(s.Value, Is.EqualTo(sv).Within(1e-15));
        Assert.That(g[s], Is.EqualTo(dyds).Within(1e-14));
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.6 * dyds, -0.8 * dyds, 1.0 * dyds }).Within(1e-14));
    }

    [Test]
    public void Scalar_gradient_through_a_tensor_leaves_grad_alone()
    {
        Tensor<double> w = Tensor.FromArray<double>([2.0, 3.0], [2]).RequiresGrad();
        using var tape = new Tape();
        Scalar a = tape.Variable(0.7), b = tape.Variable(-1.2);
        Tensor<double> t = Tensor.FromScalars<double>([a, a * b], 2);   // [a, ab]
        Scalar loss = t.Mul(t).Mul(w).Sum().ToScalar();                  // 2a² + 3a²b²
        Assert.That(loss.Value, Is.EqualTo((2 * 0.49) + (3 * 0.49 * 1.44)).Within(1e-14));
        Assert.That(tape.Gradient(loss, a), Is.EqualTo((4 * 0.7) + (6 * 0.7 * 1.44)).Within(1e-13));
        Assert.That(tape.Gradient(loss, b), Is.EqualTo(6 * 0.49 * -1.2).Within(1e-13));
        Assert.That(w.Grad, Is.Null, "Gradient leaves .Grad alone");
        tape.Backward(loss);
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 0.49, 0.49 * 1.44 }).Within(1e-14), "Backward fills .Grad");
    }

    [Test]
    public void A_tensor_rooted_backward_reaches_tensor_leaves_through_a_scalar_detour()
    {
        // x → Σx (tensor) → Scalar → exp → back into a tensor → times v → loss (tensor).
        Tensor<double> x = Tensor.FromArray<double>([0.1, 0.2], [2]).RequiresGrad();
        Tensor<double> v = Tensor.FromArray<double>([1.0, -2.0, 0.5], [3]).RequiresGrad();
        using var tape = new Tape();
        Scalar e = Scalar.Exp(x.Sum().ToScalar());
        Tensor<double> loss = Tensor.FromScalars<double>([e, e * e, e], 3).Mul(v).Sum();
        loss.Backward();
        double ev = Math.Exp(0.3), dLde = 1.0 + (-2.0 * 2 * ev) + 0.5;
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { dLde * ev, dLde * ev }).Within(1e-13));
        Assert.That(v.Grad!.ToArray(), Is.EqualTo(new[] { ev, ev * ev, ev }).Within(1e-13));
    }

    [Test]
    public void Mixed_gradients_match_finite_differences()
    {
        // f(w, a) = a · Σ (W·[a, a²])   for W [2, 2]: both kinds of input at once, checked by central differences.
        static double F(double[] w, double a) => a * ((w[0] * a) + (w[1] * a * a) + (w[2] * a) + (w[3] * a * a));
        double[] w0 = [0.3, -0.7, 1.1, 0.4];
        const double A0 = 0.9, H = 1e-6;
        Tensor<double> w = Tensor.FromArray<double>(w0, [2, 2]).RequiresGrad();
        using var tape = new Tape();
        Scalar a = tape.Variable(A0);
        Tensor<double> t = Tensor.FromScalars<double>([a, a * a], 2);
        Scalar f = w.MatMul(t).Sum().ToScalar() * a;
        Gradients g = tape.Backward(f);
        Assert.That(f.Value, Is.EqualTo(F(w0, A0)).Within(1e-14));
        Assert.That(g[a], Is.EqualTo((F(w0, A0 + H) - F(w0, A0 - H)) / (2 * H)).Within(1e-7));
        for (int i = 0; i < 4; i++)
        {
            double[] up = (double[])w0.Clone(), down = (double[])w0.Clone();
            up[i] += H;
            down[i] -= H;
            Assert.That(w.Grad!.ToArray()[i], Is.EqualTo((F(up, A0) - F(down, A0)) / (2 * H)).Within(1e-7), $"∂f/∂w[{i}]");
        }
    }

    [Test]
    public void Misuse_is_reported_clearly()
    {
        Tensor<double> two = Tensor.FromArray<double>([1.0, 2.0], [2]);
        Assert.That(Assert.Throws<InvalidOperationException>(() => two.Sum().ToScalar())!.Message, Does.Contain("tape"));
        using var tape = new Tape();
        Assert.That(Assert.Throws<ArgumentException>(() => two.ToScalar())!.Message, Does.Contain("ToScalar").And.Contain("[2]"));
        Scalar a = tape.Variable(1.0);
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.FromScalars<double>([a, a, a], 2, 2))!.Message, Does.Contain("FromScalars").And.Contain("3 scalars"));
        Tensor<double> x = Tensor.FromScalars<double>([a], 1);
        Tensor<double> y = x.Mul(x).Sum();
        Assert.Throws<NotSupportedException>(() => y.Backward(createGraph: true));
    }

    [Test]
    public void A_refused_createGraph_sweep_leaves_no_seed_behind()
    {
        Tensor<double> w = Tensor.FromArray<double>([1.5, -2.0], [2]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> loss = w.Mul(w).Sum();
        _ = loss.ToScalar(); // the tape now mixes
        Assert.Throws<NotSupportedException>(() => loss.Backward(createGraph: true));
        loss.Backward();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 3.0, -4.0 }), "2w, not 4w");
    }
}
