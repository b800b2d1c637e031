namespace Autodiff.Tests.Tensors;

/// <summary>How gradients reach tensors: .Grad on leaves, tapes, no-grad scopes, seeds, higher order, errors.</summary>
[TestFixture]
public sealed class TensorAutogradTests
{
    private static Tensor<double> Vec(params double[] v) => Tensor.FromArray<double>(v);

    [Test]
    public void Backward_accumulates_into_leaf_grads_and_ZeroGrad_clears_them()
    {
        Tensor<double> w = Vec(1, 2, 3).RequiresGrad();
        for (int step = 1; step <= 2; step++)
        {
            using var tape = new Tape();
            w.Mul(w).Sum().Backward();                 // ∂/∂w Σw² = 2w, accumulated each step
            Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 2.0 * step, 4.0 * step, 6.0 * step }));
        }

        Tensor<double> grad = w.Grad!;
        w.ZeroGrad();
        Assert.That(w.Grad, Is.SameAs(grad), "ZeroGrad keeps the buffer");
        Assert.That(w.Grad!.ToArray(), Is.All.Zero);
    }

    [Test]
    public void A_tensor_used_twice_accumulates_both_paths()
    {
        // y = Σ (x·x + exp(x))  ⇒  ∂y/∂x = 2x + eˣ
        Tensor<double> x = Vec(0.5, -1).RequiresGrad();
        using var tape = new Tape();
        x.Mul(x).Add(x.Exp()).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 1 + Math.Exp(0.5), -2 + Math.Exp(-1) }).Within(1e-15));
    }

    [Test]
    public void Tape_gradient_leaves_grad_alone_and_gives_zeros_for_unused_inputs()
    {
        Tensor<double> x = Vec(1, 2).RequiresGrad(), unused = Vec(5).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = x.Pow(3.0).Sum();
        Tensor<double>[] g = tape.Gradient(y, [x, unused]);
        Assert.That(g[0].ToArray(), Is.EqualTo(new[] { 3.0, 12.0 }));
        Assert.That(g[1].ToArray(), Is.EqualTo(new[] { 0.0 }));
        Assert.That(x.Grad, Is.Null);
        Assert.That(tape.Gradient(y, [x])[0].ToArray(), Is.EqualTo(g[0].ToArray()), "asking twice gives the same answer");
    }

    [Test]
    public void Gradient_of_an_intermediate_tensor()
    {
        Tensor<double> x = Vec(1, 2).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> h = x.Mul(3.0);
        Tensor<double> y = h.Mul(h).Sum();            // ∂y/∂h = 2h = 6x
        Assert.That(tape.Gradient(y, [h])[0].ToArray(), Is.EqualTo(new[] { 6.0, 12.0 }));
    }

    [Test]
    public void Nothing_is_recorded_without_a_tape_or_inside_NoGrad()
    {
        Tensor<double> x = Vec(1, 2).RequiresGrad();
        Tensor<double> free = x.Mul(2.0);
        Assert.That(free.IsLeaf, Is.True);
        var ex = Assert.Throws<InvalidOperationException>(() => free.Sum().Backward());
        Assert.That(ex!.Message, Does.Contain("not recorded on a tape"));

        using var tape = new Tape();
        using (Autograd.NoGrad())
        {
            Assert.That(Autograd.IsGradEnabled, Is.False);
            Assert.That(x.Mul(2.0).GradRequired, Is.False);
        }

        Assert.That(Autograd.IsGradEnabled, Is.True);
        Assert.That(x.Mul(2.0).GradRequired, Is.True);
        Assert.That(tape.TensorCount, Is.EqualTo(1));
    }

    [Test]
    public void Detach_stops_the_gradient()
    {
        Tensor<double> x = Vec(2).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = x.Mul(x.Detach()).Sum();   // x·c with c = x held constant ⇒ ∂y/∂x = x
        y.Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2.0 }));
    }

    [Test]
    public void Backward_with_a_seed_is_a_vector_jacobian_product()
    {
        Tensor<double> x = Vec(1, 2, 3).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = x.Mul(x);                   // J = diag(2x)
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("[3]").And.Contain("seed"));
        y.Backward(Vec(1, 0, -1));
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, 0.0, -6.0 }));
    }

    [Test]
    public void Second_derivatives_through_a_recorded_sweep()
    {
        // f = Σ x³ ⇒ ∇f = 3x², and the Hessian-vector product H·v = 6x ⊙ v.
        Tensor<double> x = Vec(1, -2, 0.5).RequiresGrad();
        Tensor<double> v = Vec(1, 1, 2);
        using var tape = new Tape();
        Tensor<double> grad = tape.Gradient(x.Pow(3.0).Sum(), [x], createGraph: true)[0];
        Assert.That(grad.ToArray(), Is.EqualTo(new[] { 3.0, 12.0, 0.75 }).Within(1e-14));
        Tensor<double> hvp = tape.Gradient(grad.Mul(v).Sum(), [x])[0];
        Assert.That(hvp.ToArray(), Is.EqualTo(new[] { 6.0, -12.0, 6.0 }).Within(1e-14));
    }

    [Test]
    public void Hessian_vector_product_of_a_small_network_matches_finite_differences_of_the_gradient()
    {
        Tensor<double> w = Tensor.RandomNormal<double>([3, 4], seed: 3).RequiresGrad();
        Tensor<double> x = Tensor.RandomNormal<double>([5, 3], seed: 4);
        Tensor<double> v = Tensor.RandomNormal<double>([3, 4], seed: 5);
        AssertHessianVectorProductMatchesDifferences(ww => x.MatMul(ww).Tanh().Softmax().Log().Sum().Neg(), w, v);
    }

    /// <summary>H·v through a recorded sweep against central differences of the gradient along v; returns H·v.</summary>
    private static double[] AssertHessianVectorProductMatchesDifferences(Func<Tensor<double>, Tensor<double>> loss, Tensor<double> w, Tensor<double> v)
    {
        using var tape = new Tape();
        Tensor<double> g = tape.Gradient(loss(w), [w], createGraph: true)[0];
        double[] hvp = tape.Gradient(g.Mul(v).Sum(), [w])[0].ToArray();

        const double Eps = 1e-5;
        Tensor<double> numeric = Autograd.Grad(loss, w.Detach().Add(v.Mul(Eps))).Sub(Autograd.Grad(loss, w.Detach().Sub(v.Mul(Eps)))).Mul(1 / (2 * Eps));
        Assert.That(hvp, Is.EqualTo(numeric.ToArray()).Within(1e-7));
        return hvp;
    }

    [TestCase(64, 10)]
    [TestCase(7, 40)]
    [TestCase(1, 1)]
    public void The_fused_mean_cross_entropy_is_the_mean_of_the_per_row_losses(int n, int c)
    {
        // Same value and gradient as the three-node composition it replaces, in float on a reused tape (the targets
        // are kept in memory lent by the tape) and in double.
        int[] labels = [.. Enumerable.Range(0, n).Select(i => (i * 7) % c)];
        using var tape = new Tape();
        for (int step = 0; step < 3; step++)
        {
            tape.Reset();
            Tensor<float> x = Tensor.RandomNormal<float>([n, c], seed: 20 + step).Mul(3f).RequiresGrad();
            Tensor<float> fused = Tensor.CrossEntropyMean(x, labels);
            Tensor<float> composed = Tensor.CrossEntropy(x, labels).Mean();
            Assert.That(fused.Shape.ToArray(), Is.Empty, "a scalar, like Mean()");
            Assert.That(fused.Item(), Is.EqualTo(composed.Item()).Within(1e-5f));
            float[] fusedGrad = tape.Gradient(fused, [x])[0].ToArray(), composedGrad = tape.Gradient(composed, [x])[0].ToArray();
            Assert.That(fusedGrad, Is.EqualTo(composedGrad).Within(1e-6f));
            Assert.That(fusedGrad.Sum(), Is.EqualTo(0).Within(1e-5), "rows of softmax − one-hot sum to 0");
        }

        Tensor<double> xd = Tensor.RandomNormal<double>([n, c], seed: 3).RequiresGrad();
        Assert.That(Tensor.CrossEntropyMean(xd, labels).Item(), Is.EqualTo(Tensor.CrossEntropy(xd, labels).Mean().Item()).Within(1e-14));
    }

    [Test]
    public void The_fused_mean_cross_entropy_of_no_rows_is_NaN_as_in_PyTorch()
    {
        Tensor<float> x = Tensor.Zeros<float>(0, 3).RequiresGrad();
        Assert.That(float.IsNaN(Tensor.CrossEntropyMean(x, []).Item()), Is.True);
    }

    [TestCase("Linear")]
    [TestCase("CrossEntropy")]
    [TestCase("CrossEntropyMean")]
    public void Hessian_vector_products_through_the_fused_ops_match_finite_differences(string op)
    {
        // The fused ops have an eager rule and a recorded one; createGraph must take the recorded one.
        Tensor<double> w = Tensor.RandomNormal<double>([4, 3], seed: 6).RequiresGrad();
        Tensor<double> b = Tensor.RandomNormal<double>([4], seed: 7);
        Tensor<double> x = Tensor.RandomNormal<double>([5, 3], seed: 8);
        Tensor<double> v = Tensor.RandomNormal<double>([4, 3], seed: 9);
        int[] labels = [0, 3, 1, 1, 2];
        Tensor<double> Loss(Tensor<double> ww) => op switch
        {
            "Linear" => Tensor.Linear(x, ww, b).Tanh().Sum(),
            "CrossEntropy" => Tensor.CrossEntropy(x.MatMulTransposed(ww).Mul(1.5), labels).Mean(),
            _ => Tensor.CrossEntropyMean(x.MatMulTransposed(ww).Mul(1.5), labels).Mul(3.0),
        };
        double[] hvp = AssertHessianVectorProductMatchesDifferences(Loss, w, v);
        Assert.That(hvp.Max(Math.Abs), Is.GreaterThan(1e-3), "a non-trivial second derivative");
    }

    [Test]
    public void Shape_errors_name_the_op_both_shapes_and_the_callers_line()
    {
        Tensor<float> a = Tensor.Zeros<float>(64, 784), b = Tensor.Zeros<float>(128, 10);
        int line = LineOf() + 1;
        var ex = Assert.Throws<ArgumentException>(() => a.MatMul(b));
        Assert.That(ex!.Message, Does.Contain("MatMul").And.Contain("[64, 784] × [128, 10]").And.Contain("784 ≠ 128")
            .And.Contain($"TensorAutogradTests.cs:{line}"));

        var add = Assert.Throws<ArgumentException>(() => Tensor.Zeros<double>(2, 3).Add(Tensor.Zeros<double>(4)));
        Assert.That(add!.Message, Does.Contain("Add").And.Contain("[2, 3]").And.Contain("[4]"));
    }

    private static int LineOf([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    [Test]
    public void A_tensor_from_a_reset_tape_is_rejected_clearly()
    {
        Tensor<double> x = Vec(1).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> h = x.Exp();
        tape.Reset();
        // Reset recycles h's memory for the next step, so any use of h, not only recording, is refused.
        var ex = Assert.Throws<InvalidOperationException>(() => h.Mul(2.0));
        Assert.That(ex!.Message, Does.Contain("Exp").And.Contain("reset").And.Contain("Clone()"));
        Assert.Throws<InvalidOperationException>(() => _ = h.Item());
        Assert.Throws<InvalidOperationException>(() => _ = h.Detach().ToArray());
    }

    [Test]
    public void Reset_recycles_the_memory_of_a_step_and_dispose_keeps_it_readable()
    {
        Tensor<float> w = Tensor.RandomNormal<float>([16, 8], seed: 3).RequiresGrad();
        Tensor<float> x = Tensor.RandomNormal<float>([4, 16], seed: 4);
        using var tape = new Tape();
        float first = 0;
        long held = 0;
        for (int step = 0; step < 5; step++)
        {
            tape.Reset();
            w.ZeroGrad();
            Tensor<float> loss = x.MatMul(w).Relu().Sum();
            loss.Backward();
            first = step == 0 ? loss.Item() : first;
            Assert.That(loss.Item(), Is.EqualTo(first), "the same step gives the same loss on recycled memory");
            if (step == 1)
            {
                held = tape.PooledElements;
            }
        }

        Assert.That(tape.PooledElements, Is.EqualTo(held).And.GreaterThan(0), "after one step every shape is in the pool");

        // A result that was not recorded (no input requires grad) belongs to the caller: a reset leaves it alone.
        // Comparisons and Sign are never recorded, and their results are the caller's too.
        Tensor<float> untracked = x.Mul(2f).Exp();
        Tensor<float> mask = x.Gt(Tensor.Zeros<float>(16)), signs = x.Sign(), pair = x.Eq(x);
        Tensor<float> summed = x.Reshape([2, 2, 16]).Sum([0, 2]);
        float[] before = untracked.ToArray(), maskBefore = mask.ToArray(), signsBefore = signs.ToArray(), summedBefore = summed.ToArray();
        tape.Reset();
        _ = x.MatMul(w).Relu().Sum().Add(x.Mul(3f).Sum());
        Assert.That(untracked.ToArray(), Is.EqualTo(before));
        Assert.That(mask.ToArray(), Is.EqualTo(maskBefore));
        Assert.That(signs.ToArray(), Is.EqualTo(signsBefore));
        Assert.That(pair.ToArray(), Is.All.EqualTo(1f));
        Assert.That(summed.ToArray(), Is.EqualTo(summedBefore));

        Tensor<float> kept;
        using (var inner = new Tape())
        {
            kept = x.MatMul(w).Relu();
        }

        Assert.That(kept.ToArray().Min(), Is.GreaterThanOrEqualTo(0f), "a disposed tape leaves its tensors readable");
    }

    [Test]
    public void The_tape_lists_tensor_ops_with_shapes_and_lines()
    {
        Tensor<float> w = Tensor.RandomNormal<float>([4, 3], seed: 1).RequiresGrad();
        using var tape = new Tape();
        _ = Tensor.Ones<float>(2, 4).MatMul(w).Relu().Sum();
        string listing = tape.ToString();
        Assert.That(listing, Does.Contain("Tensor ops: 3"));
        Assert.That(listing, Does.Contain("MatMul").And.Contain("([2, 4], [4, 3]) -> [2, 3] float32").And.Contain("TensorAutogradTests.cs:"));
        Assert.That(tape.ToDot(), Does.Contain("t0 -> t1;").And.Contain("t1 -> t2;"));
    }

    [Test]
    public void A_plain_sweep_records_nothing_and_leaves_the_grad_mode_as_it_found_it()
    {
        Tensor<double> w = Tensor.RandomNormal<double>([4, 3], seed: 1).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> loss = Tensor.Ones<double>(2, 4).MatMul(w).Sigmoid().Mul(2.0).Sum();
        loss.Backward();
        Assert.Multiple(() =>
        {
            Assert.That(tape.ToString(), Does.Contain("Tensor ops: 4"), "the rules ran without recording");
            Assert.That(Autograd.IsGradEnabled, Is.True);
            Assert.That(Tensor.Ones<double>(1, 4).MatMul(w).Sum().IsLeaf, Is.False, "recording resumes after the sweep");
        });

        using (Autograd.NoGrad())
        {
            tape.Gradient(loss, [w]);
            Assert.That(Autograd.IsGradEnabled, Is.False, "a sweep inside NoGrad leaves it on");
        }
    }

    [Test]
    public void Functional_api_matches_closed_forms()
    {
        Tensor<double> x = Vec(1, 2);
        (Tensor<double> value, Tensor<double> grad) = Autograd.ValueAndGrad(t => t.Mul(t).Sum(), x);
        Assert.That(value.Item(), Is.EqualTo(5.0));
        Assert.That(grad.ToArray(), Is.EqualTo(new[] { 2.0, 4.0 }));

        // f(x) = [x₀x₁, sin x₀]: J = [[x₁, x₀], [cos x₀, 0]]
        Tensor<double> jacobian = Autograd.Jacobian(t => Tensor.Concat([t.Narrow(0, 0, 1).Mul(t.Narrow(0, 1, 1)), t.Narrow(0, 0, 1).Sin()]), x);
        Assert.That(jacobian.ShapeArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(jacobian.ToArray(), Is.EqualTo(new[] { 2.0, 1.0, Math.Cos(1), 0.0 }).Within(1e-15));

        (_, Tensor<double> vjp) = Autograd.Vjp(t => t.Mul(3.0), x, Vec(1, -1));
        Assert.That(vjp.ToArray(), Is.EqualTo(new[] { 3.0, -3.0 }));
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void A_custom_op_gets_recording_for_free()
    {
        // cube with a hand-written rule: d/dx x³ = 3x²
        static Tensor<double> Cube(Tensor<double> t) => Autograd.Custom(
            "Cube", [t], xs => xs[0].Mul(xs[0]).Mul(xs[0]), (g, xs, _) => [g.Mul(xs[0].Mul(xs[0]).Mul(3.0))]);

        GradCheck.Assert(xs => Cube(xs[0]).Sum(), [Vec(0.5, -1.5, 2)]);
        Tensor<double> x = Vec(2).RequiresGrad();
        using var tape = new Tape();
        Cube(x).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 12.0 }));
        Assert.That(tape.ToString(), Does.Contain("Cube"));
    }

    [Test]
    public void A_custom_op_whose_rule_returns_a_wrong_shape_is_reported()
    {
        Tensor<double> x = Vec(1, 2, 3).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = Autograd.Custom("Broken", [x], xs => xs[0].Sum(), (g, xs, _) => [Vec(1, 2)]);
        var ex = Assert.Throws<ArgumentException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("Broken").And.Contain("[2]").And.Contain("[3]"));
    }

    [Test]
    public void Where_does_not_leak_nan_from_the_branch_not_taken()
    {
        // sqrt(x) is NaN-sloped at negative x; where(x > 0, sqrt(x), 0) must have a finite gradient everywhere.
        Tensor<double> x = Vec(-1, 4).RequiresGrad();
        using var tape = new Tape();
        Tensor.Where(x.Gt(Tensor.ZerosLike(x)), x.Sqrt(), Tensor.ZerosLike(x)).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 0.25 }));
    }

    [Test]
    public void Reductions_split_the_gradient_evenly_among_tied_maxima()
    {
        Tensor<double> x = Tensor.FromArray<double>([3, 1, 3, 2], 2, 2).RequiresGrad();
        using var tape = new Tape();
        x.Max().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.5, 0, 0.5, 0 }));
        Tensor<double> m = Vec(1, 1).RequiresGrad(), n = Vec(1, 2).RequiresGrad();
        m.Maximum(n).Sum().Backward();
        Assert.That(m.Grad!.ToArray(), Is.EqualTo(new[] { 0.5, 0 }), "elementwise maximum: ½ at a tie");
        Assert.That(n.Grad!.ToArray(), Is.EqualTo(new[] { 0.5, 1 }));
    }

    [Test]
    public void Relu_subgradient_at_zero_is_zero()
    {
        Tensor<float> x = Tensor.FromArray<float>([-1f, 0f, 2f]).RequiresGrad();
        using var tape = new Tape();
        x.Relu().Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0f, 0f, 1f }));
    }
}
