using FsCheck;
using FsCheck.Fluent;
using static Autodiff.NN.Tests.TestSupport;
using static Autodiff.Testing.Generators;

namespace Autodiff.NN.Tests;

/// <summary>
/// Every loss: its value against a closed form worked out here for small inputs, its reductions, its gradient
/// against finite differences (in double, on random shapes), and its errors.
/// </summary>
[TestFixture]
public sealed class LossTests
{
    private static double Lse(params double[] x) => Math.Log(x.Sum(Math.Exp));

    /// <summary>Logits [N, C] and one valid target per row.</summary>
    private static readonly Gen<(Tensor<double> Logits, int[] Targets)> s_classification =
        from n in Gen.Choose(1, 4)
        from c in Gen.Choose(1, 5)
        from logits in TensorOf([n, c], Uniform(-4, 4))
        from targets in Gen.ArrayOf(Gen.Choose(0, c - 1), n)
        select (logits, targets);

    /// <summary>Two tensors of one random shape: values and something in [lo, hi] (targets, probabilities).</summary>
    private static Gen<(Tensor<double> X, Tensor<double> Y)> Pair(Gen<double> x, Gen<double> y)
        => from shape in PlainShape()
           from a in TensorOf(shape, x)
           from b in TensorOf(shape, y)
           select (a, b);

    // ───── cross-entropy ─────

    [Test]
    public void CrossEntropy_of_1_2_3_with_target_2_is_log_sum_exp_minus_3()
    {
        Tensor<double> logits = Doubles([1, 2, 3], 1, 3);
        Assert.That(Functional.CrossEntropy(logits, [2]).Item(), Is.EqualTo(Lse(1, 2, 3) - 3).Within(1e-14));
        Assert.That(Functional.CrossEntropy(logits, [0]).Item(), Is.EqualTo(Lse(1, 2, 3) - 1).Within(1e-14));
    }

    [Test]
    public void CrossEntropy_reductions()
    {
        Tensor<double> logits = Doubles([1, 2, 3, 0, -1, 0.5], 2, 3);
        double first = Lse(1, 2, 3) - 2, second = Lse(0, -1, 0.5) - 0;
        Assert.That(Functional.CrossEntropy(logits, [1, 0], Reduction.None).ToArray(), Is.EqualTo(new[] { first, second }).Within(1e-14));
        Assert.That(Functional.CrossEntropy(logits, [1, 0], Reduction.Sum).Item(), Is.EqualTo(first + second).Within(1e-14));
        Assert.That(Functional.CrossEntropy(logits, [1, 0]).Item(), Is.EqualTo((first + second) / 2).Within(1e-14));
        Assert.That(Functional.CrossEntropy(logits, [1, 0], Reduction.BatchMean).Item(), Is.EqualTo((first + second) / 2).Within(1e-14));
    }

    [Test]
    public void CrossEntropy_is_stable_for_huge_logits()
    {
        Tensor<float> logits = Floats([1000, 0, -1000, 1000], 2, 2);
        float[] losses = Functional.CrossEntropy(logits, [1, 0], Reduction.None).ToArray();
        Assert.That(losses, Is.EqualTo(new[] { 1000f, 2000f }));
    }

    [Test]
    public void CrossEntropy_gradient_is_softmax_minus_one_hot_over_N()
    {
        Tensor<double> logits = Doubles([1, 2, 3, 0, -1, 0.5], 2, 3).RequiresGrad();
        using (var tape = new Tape())
        {
            Functional.CrossEntropy(logits, [2, 1]).Backward();
        }

        double[] softmax = logits.Detach().Softmax().ToArray();
        double[] expected = softmax.Select((p, i) => (p - (i == 2 || i == 4 ? 1 : 0)) / 2).ToArray();
        Assert.That(logits.Grad!.ToArray(), Is.EqualTo(expected).Within(1e-15));
    }

    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.Sum)]
    [TestCase(Reduction.None)]
    public void CrossEntropy_gradient_matches_finite_differences(Reduction reduction)
        => AssertGradientsForAll(s_classification, c => [c.Logits], c => t => Functional.CrossEntropy(t[0], c.Targets, reduction));

    [Test]
    public void CrossEntropy_with_probability_targets_has_its_closed_form_and_equals_index_targets_for_one_hot()
    {
        Tensor<double> logits = Doubles([1, 2, 3, 0, -1, 0.5], 2, 3);
        Tensor<double> soft = Doubles([0.2, 0.3, 0.5, 1, 0, 0], 2, 3);
        double first = (0.2 * (Lse(1, 2, 3) - 1)) + (0.3 * (Lse(1, 2, 3) - 2)) + (0.5 * (Lse(1, 2, 3) - 3));
        double second = Lse(0, -1, 0.5) - 0;
        Assert.That(Functional.CrossEntropy(logits, soft, Reduction.None).ToArray(), Is.EqualTo(new[] { first, second }).Within(1e-14));
        Assert.That(Functional.CrossEntropy(logits, soft).Item(), Is.EqualTo((first + second) / 2).Within(1e-14));

        Tensor<double> oneHot = Doubles([0, 0, 1, 0, 1, 0], 2, 3);
        Assert.That(Functional.CrossEntropy(logits, oneHot).Item(), Is.EqualTo(Functional.CrossEntropy(logits, [2, 1]).Item()).Within(1e-14));
    }

    [Test]
    public void CrossEntropy_with_probability_targets_gradient_matches_finite_differences()
    {
        Gen<(Tensor<double>, Tensor<double>)> cases =
            from n in Gen.Choose(1, 4)
            from c in Gen.Choose(1, 5)
            from logits in TensorOf([n, c], Uniform(-4, 4))
            from targets in TensorOf([n, c], Uniform(0, 1))
            select (logits, targets);
        AssertGradientsForAll(cases, c => [c.Item1, c.Item2], _ => t => Functional.CrossEntropy(t[0], t[1]));
    }

    [Test]
    public void NLLLoss_picks_minus_the_target_log_probabilities_and_after_log_softmax_is_the_cross_entropy()
    {
        Tensor<double> logProbs = Doubles([-0.1, -2.5, -3, -1.2, -0.7, -1.4], 2, 3);
        Assert.That(Functional.NLLLoss(logProbs, [0, 2], Reduction.None).ToArray(), Is.EqualTo(new[] { 0.1, 1.4 }).Within(1e-15));
        Assert.That(Functional.NLLLoss(logProbs, [0, 2]).Item(), Is.EqualTo(0.75).Within(1e-15));
        Assert.That(Functional.NLLLoss(logProbs, [0, 2], Reduction.Sum).Item(), Is.EqualTo(1.5).Within(1e-15));

        Tensor<double> logits = Doubles([1, 2, 3, 0, -1, 0.5], 2, 3);
        Assert.That(Functional.NLLLoss(Functional.LogSoftmax(logits), [2, 0]).Item(), Is.EqualTo(Functional.CrossEntropy(logits, [2, 0]).Item()).Within(1e-15));
    }

    [Test]
    public void NLLLoss_gradient_matches_finite_differences()
        => AssertGradientsForAll(s_classification, c => [c.Logits], c => t => Functional.NLLLoss(t[0], c.Targets, Reduction.Sum));

    [Test]
    public void Classification_losses_reject_bad_targets_and_shapes_naming_loss_value_and_shape()
    {
        Tensor<double> logits = Tensor.Zeros<double>(3, 4);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(logits, [0, 4, 1]));
        Assert.That(range!.Message, Does.Contain("CrossEntropy").And.Contain("target 4 (row 1)").And.Contain("[0, 4)").And.Contain("[3, 4]"));
        range = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.NLLLoss(logits, [0, 1, -1]));
        Assert.That(range!.Message, Does.Contain("NLLLoss").And.Contain("target -1 (row 2)"));

        var count = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(logits, [0, 1]));
        Assert.That(count!.Message, Does.Contain("2 targets").And.Contain("[3, 4]"));
        var rank = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(Tensor.Zeros<double>(4), [0]));
        Assert.That(rank!.Message, Does.Contain("[N, C]").And.Contain("got [4]"));

        var shapes = Assert.Throws<ArgumentException>(() => Functional.CrossEntropy(logits, Tensor.Zeros<double>(3, 5)));
        Assert.That(shapes!.Message, Does.Contain("CrossEntropy").And.Contain("[3, 4]").And.Contain("[3, 5]"));
        var soft = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(Tensor.Zeros<double>(1, 2), Doubles([0.5, 1.5], 1, 2)));
        Assert.That(soft!.Message, Does.Contain("1.5"));
    }

    // ───── squared errors ─────

    [Test]
    public void MSELoss_is_the_mean_of_squared_differences()
    {
        Tensor<double> yHat = Doubles([1, 2, 3, 4], 2, 2), y = Doubles([0, 0, 1, 1], 2, 2);
        Assert.That(Functional.MSELoss(yHat, y).Item(), Is.EqualTo((1 + 4 + 4 + 9) / 4.0).Within(1e-15));
        Assert.That(Functional.MSELoss(yHat, y, Reduction.Sum).Item(), Is.EqualTo(18.0).Within(1e-15));
        Assert.That(Functional.MSELoss(yHat, y, Reduction.None).ToArray(), Is.EqualTo(new[] { 1.0, 4, 4, 9 }));
        Assert.That(Functional.MSELoss(yHat, y, Reduction.None).ShapeArray(), Is.EqualTo(new[] { 2, 2 }));
    }

    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.None)]
    public void MSELoss_gradient_matches_finite_differences(Reduction reduction)
        => AssertGradientsForAll(Pair(Uniform(-3, 3), Uniform(-3, 3)), c => [c.X, c.Y], _ => t => Functional.MSELoss(t[0], t[1], reduction));

    [Test]
    public void HalfSquaredError_sums_half_the_squares_per_sample_and_averages_over_the_batch()
    {
        Tensor<double> yHat = Doubles([1, 2, 3, 4], 2, 2).RequiresGrad(), y = Doubles([0, 0, 1, 1], 2, 2);
        // ½(1² + 2²) = 2.5 and ½(2² + 3²) = 6.5.
        Assert.That(Functional.HalfSquaredError(yHat, y, Reduction.None).ToArray(), Is.EqualTo(new[] { 2.5, 6.5 }));
        Assert.That(Functional.HalfSquaredError(yHat, y, Reduction.Sum).Item(), Is.EqualTo(9.0));
        Assert.That(Functional.HalfSquaredError(yHat, y).Item(), Is.EqualTo(4.5));
        // With K = 2 outputs per sample, HalfSquaredError = MSELoss·K/2.
        Assert.That(Functional.HalfSquaredError(yHat, y).Item(), Is.EqualTo(Functional.MSELoss(yHat, y).Item() * 2 / 2));

        using (var tape = new Tape())
        {
            Functional.HalfSquaredError(yHat, y).Backward();
        }

        // The notes' output δ, ŷ − y, averaged over the batch of 2.
        Assert.That(yHat.Grad!.ToArray(), Is.EqualTo(new[] { 0.5, 1, 1, 1.5 }));
    }

    [Test]
    public void HalfSquaredError_of_a_vector_is_a_batch_of_scalars_and_of_a_scalar_one_sample()
    {
        Assert.That(Functional.HalfSquaredError(Doubles([3, 1]), Doubles([1, 1]), Reduction.None).ToArray(), Is.EqualTo(new[] { 2.0, 0 }));
        Assert.That(Functional.HalfSquaredError(Tensor.Scalar(3.0), Tensor.Scalar(1.0)).Item(), Is.EqualTo(2.0));
    }

    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.None)]
    public void HalfSquaredError_gradient_matches_finite_differences(Reduction reduction)
        => AssertGradientsForAll(Pair(Uniform(-3, 3), Uniform(-3, 3)), c => [c.X, c.Y], _ => t => Functional.HalfSquaredError(t[0], t[1], reduction));

    [Test]
    public void Regression_losses_reject_different_shapes_instead_of_broadcasting()
    {
        var ex = Assert.Throws<ArgumentException>(() => Functional.MSELoss(Tensor.Zeros<float>(4), Tensor.Zeros<float>(4, 1)));
        Assert.That(ex!.Message, Does.Contain("MSELoss").And.Contain("[4]").And.Contain("[4, 1]"));
        ex = Assert.Throws<ArgumentException>(() => Functional.HalfSquaredError(Tensor.Zeros<float>(2, 3), Tensor.Zeros<float>(3, 2)));
        Assert.That(ex!.Message, Does.Contain("HalfSquaredError").And.Contain("[2, 3]").And.Contain("[3, 2]"));
    }

    // ───── binary cross-entropy ─────

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Test]
    public void BCEWithLogits_equals_the_naive_formula_for_moderate_logits()
    {
        double[] x = [-2, -0.5, 0, 1.5], y = [0, 1, 0.3, 1];
        double[] naive = x.Select((v, i) => -((y[i] * Math.Log(Sigmoid(v))) + ((1 - y[i]) * Math.Log(1 - Sigmoid(v))))).ToArray();
        Assert.That(Functional.BCEWithLogits(Doubles(x), Doubles(y), Reduction.None).ToArray(), Is.EqualTo(naive).Within(1e-14));
        Assert.That(Functional.BCEWithLogits(Doubles(x), Doubles(y)).Item(), Is.EqualTo(naive.Average()).Within(1e-14));
        Assert.That(Functional.BCEWithLogits(Doubles(x), Doubles(y), Reduction.Sum).Item(), Is.EqualTo(naive.Sum()).Within(1e-14));
    }

    [Test]
    public void BCEWithLogits_is_stable_for_huge_logits()
    {
        float[] losses = Functional.BCEWithLogits(Floats([100, -100, 100, -100]), Floats([0, 1, 1, 0]), Reduction.None).ToArray();
        Assert.That(losses, Is.EqualTo(new[] { 100f, 100f, 0f, 0f }).Within(1e-6));
    }

    [Test]
    public void BCEWithLogits_gradient_is_sigmoid_minus_target_even_at_zero()
    {
        Tensor<double> x = Doubles([0, 0, 2, -1]).RequiresGrad();
        double[] y = [1, 0, 0.25, 1];
        using (var tape = new Tape())
        {
            Functional.BCEWithLogits(x, Doubles(y), Reduction.Sum).Backward();
        }

        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 0.5 - 1, 0.5, Sigmoid(2) - 0.25, Sigmoid(-1) - 1 }).Within(1e-15));
    }

    [TestCase(Reduction.Mean)]
    [TestCase(Reduction.None)]
    public void BCEWithLogits_gradient_matches_finite_differences(Reduction reduction)
        => AssertGradientsForAll(Pair(Uniform(-5, 5), Uniform(0, 1)), c => [c.X, c.Y], _ => t => Functional.BCEWithLogits(t[0], t[1], reduction));

    [Test]
    public void BCE_is_minus_the_log_likelihood_of_the_targets()
    {
        double[] p = [0.1, 0.8, 0.5], y = [0, 1, 0.3];
        double[] expected = p.Select((v, i) => -((y[i] * Math.Log(v)) + ((1 - y[i]) * Math.Log(1 - v)))).ToArray();
        Assert.That(Functional.BCE(Doubles(p), Doubles(y), Reduction.None).ToArray(), Is.EqualTo(expected).Within(1e-14));
        Assert.That(Functional.BCE(Doubles(p), Doubles(y)).Item(), Is.EqualTo(expected.Average()).Within(1e-14));
        Assert.That(Functional.BCE(Doubles(p), Doubles(y), Reduction.Sum).Item(), Is.EqualTo(expected.Sum()).Within(1e-14));
    }

    [Test]
    public void BCE_clamps_the_logarithms_at_minus_100_like_PyTorch_with_no_NaN_gradient()
    {
        Tensor<double> p = Doubles([0, 1, 0, 1]).RequiresGrad();
        Tensor<double> y = Doubles([1, 0, 0, 1]);
        Tensor<double> losses;
        using (var tape = new Tape())
        {
            losses = Functional.BCE(p, y, Reduction.None);
            losses.Sum().Backward();
        }

        Assert.That(losses.ToArray(), Is.EqualTo(new[] { 100.0, 100, 0, 0 }));
        Assert.That(p.Grad!.ToArray(), Is.All.Not.NaN);
    }

    [Test]
    public void BCE_gradient_matches_finite_differences()
        => AssertGradientsForAll(Pair(Uniform(0.05, 0.95), Uniform(0, 1)), c => [c.X, c.Y], _ => t => Functional.BCE(t[0], t[1]));

    [Test]
    public void Binary_losses_reject_values_outside_0_1_and_different_shapes()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.BCE(Doubles([0.5, 1.2]), Doubles([0, 1])));
        Assert.That(ex!.Message, Does.Contain("BCE").And.Contain("probabilities").And.Contain("1.2"));
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.BCEWithLogits(Doubles([3, -3]), Doubles([0, 2])));
        Assert.That(ex!.Message, Does.Contain("BCEWithLogits").And.Contain("targets").And.Contain("element 1"));
        var shapes = Assert.Throws<ArgumentException>(() => Functional.BCEWithLogits(Tensor.Zeros<double>(2, 1), Tensor.Zeros<double>(2)));
        Assert.That(shapes!.Message, Does.Contain("BCEWithLogits").And.Contain("[2, 1]").And.Contain("[2]"));
    }

    // ───── KL divergence ─────

    [Test]
    public void KLDivergence_follows_PyTorch_kl_div_with_0_log_0_as_0()
    {
        double[] q = [0.5, 0.25, 0.25, 0.1, 0.6, 0.3];
        double[] p = [0.25, 0.75, 0, 0, 0.5, 0.5];
        Tensor<double> logQ = Doubles(q.Select(v => Math.Log(v)).ToArray(), 2, 3), target = Doubles(p, 2, 3);
        double[] pointwise = p.Select((v, i) => v == 0 ? 0 : v * (Math.Log(v) - Math.Log(q[i]))).ToArray();
        Assert.That(Functional.KLDivergence(logQ, target, Reduction.None).ToArray(), Is.EqualTo(pointwise).Within(1e-15));
        Assert.That(Functional.KLDivergence(logQ, target).Item(), Is.EqualTo(pointwise.Average()).Within(1e-15));
        Assert.That(Functional.KLDivergence(logQ, target, Reduction.Sum).Item(), Is.EqualTo(pointwise.Sum()).Within(1e-15));
        // batchmean: Σ p log(p/q) per row, averaged over the 2 rows — the KL divergence per sample.
        Assert.That(Functional.KLDivergence(logQ, target, Reduction.BatchMean).Item(), Is.EqualTo(pointwise.Sum() / 2).Within(1e-15));
        Assert.That(Functional.KLDivergence(logQ, logQ.Exp(), Reduction.Sum).Item(), Is.EqualTo(0).Within(1e-15), "KL(p‖p) = 0");
    }

    [Test]
    public void KLDivergence_gradient_is_minus_the_target_and_finite_where_it_is_zero()
    {
        Tensor<double> logQ = Doubles([-1, -2, -0.5]).RequiresGrad();
        using (var tape = new Tape())
        {
            Functional.KLDivergence(logQ, Doubles([0.4, 0, 0.6]), Reduction.Sum).Backward();
        }

        Assert.That(logQ.Grad!.ToArray(), Is.EqualTo(new[] { -0.4, 0, -0.6 }));
    }

    [Test]
    public void KLDivergence_gradient_matches_finite_differences()
        => AssertGradientsForAll(Pair(Uniform(-4, 0), Gen.Frequency((1, Gen.Constant(0.0)), (3, Uniform(0.05, 1)))), c => [c.X], c => t => Functional.KLDivergence(t[0], c.Y, Reduction.BatchMean));

    [Test]
    public void KLDivergence_rejects_negative_targets_and_different_shapes()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Functional.KLDivergence(Doubles([-1, -1]), Doubles([0.5, -0.5])));
        Assert.That(ex!.Message, Does.Contain("KLDivergence").And.Contain("-0.5"));
        Assert.Throws<ArgumentException>(() => Functional.KLDivergence(Tensor.Zeros<double>(2, 2), Tensor.Zeros<double>(4)));
    }

    [Test]
    public void An_unknown_reduction_is_rejected()
        => Assert.Throws<ArgumentOutOfRangeException>(() => Functional.MSELoss(Tensor.Zeros<double>(2), Tensor.Zeros<double>(2), (Reduction)42));
}
