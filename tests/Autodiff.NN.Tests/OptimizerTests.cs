using Autodiff.NN.Optim;
using static Autodiff.NN.Tests.TestSupport;

namespace Autodiff.NN.Tests;

/// <summary>
/// The optimisers, one or two steps at a time, against the documented update rules worked out here in double
/// (θ = (1, −2, 0.5), gradients set by hand).
/// </summary>
[TestFixture]
public sealed class OptimizerTests
{
    private static readonly double[] s_theta = [1, -2, 0.5];
    private static readonly double[] s_g1 = [0.5, 0.25, -4];
    private static readonly double[] s_g2 = [-1, 0.75, 2];

    private static Tensor<float> Parameter() => Floats(s_theta.Select(v => (float)v).ToArray()).RequiresGrad();

    private static void SetGrad(Tensor<float> p, double[] g) => p.Grad = Floats(g.Select(v => (float)v).ToArray());

    private static double[] Values(Tensor<float> p) => p.ToArray().Select(v => (double)v).ToArray();

    private static double[] Map(Func<int, double> f) => Enumerable.Range(0, s_theta.Length).Select(f).ToArray();

    /// <summary>Float32 arithmetic against the rule in double: a few ulps.</summary>
    private static void AssertClose(double[] actual, double[] expected)
        => Assert.That(actual, Is.EqualTo(expected).Within(2e-6));

    // ───── SGD ─────

    [Test]
    public void SGD_steps_against_the_gradient()
    {
        Tensor<float> p = Parameter();
        var sgd = new SGD([p], learningRate: 0.1);
        SetGrad(p, s_g1);
        sgd.Step();
        double[] theta1 = Map(i => s_theta[i] - (0.1 * s_g1[i]));
        AssertClose(Values(p), theta1);
        SetGrad(p, s_g2);
        sgd.Step();
        AssertClose(Values(p), Map(i => theta1[i] - (0.1 * s_g2[i])));
    }

    [Test]
    public void SGD_momentum_starts_its_buffer_at_the_gradient_then_accumulates()
    {
        Tensor<float> p = Parameter();
        var sgd = new SGD([p], learningRate: 0.1, momentum: 0.9);
        SetGrad(p, s_g1);
        sgd.Step();                                                      // b₁ = g₁
        double[] theta1 = Map(i => s_theta[i] - (0.1 * s_g1[i]));
        AssertClose(Values(p), theta1);
        SetGrad(p, s_g2);
        sgd.Step();                                                      // b₂ = 0.9·g₁ + g₂
        AssertClose(Values(p), Map(i => theta1[i] - (0.1 * ((0.9 * s_g1[i]) + s_g2[i]))));
    }

    [Test]
    public void SGD_nesterov_steps_along_g_plus_mu_b()
    {
        Tensor<float> p = Parameter();
        var sgd = new SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: true);
        SetGrad(p, s_g1);
        sgd.Step();                                                      // b₁ = g₁, step g₁ + 0.9·b₁
        double[] theta1 = Map(i => s_theta[i] - (0.1 * 1.9 * s_g1[i]));
        AssertClose(Values(p), theta1);
        SetGrad(p, s_g2);
        sgd.Step();                                                      // b₂ = 0.9·g₁ + g₂, step g₂ + 0.9·b₂
        AssertClose(Values(p), Map(i => theta1[i] - (0.1 * (s_g2[i] + (0.9 * ((0.9 * s_g1[i]) + s_g2[i]))))));
    }

    [Test]
    public void SGD_weight_decay_adds_lambda_theta_to_the_gradient_before_the_momentum()
    {
        Tensor<float> p = Parameter();
        var sgd = new SGD([p], learningRate: 0.1, momentum: 0.5, weightDecay: 0.2);
        SetGrad(p, s_g1);
        sgd.Step();
        double[] b1 = Map(i => s_g1[i] + (0.2 * s_theta[i]));
        double[] theta1 = Map(i => s_theta[i] - (0.1 * b1[i]));
        AssertClose(Values(p), theta1);
        SetGrad(p, s_g2);
        sgd.Step();
        double[] b2 = Map(i => (0.5 * b1[i]) + s_g2[i] + (0.2 * theta1[i]));
        AssertClose(Values(p), Map(i => theta1[i] - (0.1 * b2[i])));
        Assert.That(p.Grad!.ToArray(), Is.EqualTo(s_g2.Select(v => (float)v).ToArray()), "the gradient itself is left alone");
    }

    // ───── Adam ─────

    [Test]
    public void Adam_first_step_moves_every_parameter_by_lr_times_the_sign_of_its_gradient()
    {
        Tensor<float> p = Parameter();
        var adam = new Adam([p], learningRate: 0.01);
        SetGrad(p, s_g1);
        adam.Step();
        // m̂ = g, v̂ = g²: the step is lr·g/(|g| + ε), and ε = 1e-8 is negligible beside |g| ≥ 0.25.
        AssertClose(Values(p), Map(i => s_theta[i] - (0.01 * Math.Sign(s_g1[i]))));
    }

    [Test]
    public void Adam_second_step_uses_the_bias_corrected_moments()
    {
        const double Lr = 0.01, B1 = 0.9, B2 = 0.999, Eps = 1e-8;
        Tensor<float> p = Parameter();
        var adam = new Adam([p], Lr, B1, B2, Eps);
        SetGrad(p, s_g1);
        adam.Step();
        SetGrad(p, s_g2);
        adam.Step();

        double[] expected = Map(i =>
        {
            double theta1 = s_theta[i] - (Lr * Math.Sign(s_g1[i]));
            double m = (B1 * (1 - B1) * s_g1[i]) + ((1 - B1) * s_g2[i]);
            double v = (B2 * (1 - B2) * s_g1[i] * s_g1[i]) + ((1 - B2) * s_g2[i] * s_g2[i]);
            double mHat = m / (1 - (B1 * B1)), vHat = v / (1 - (B2 * B2));
            return theta1 - (Lr * mHat / (Math.Sqrt(vHat) + Eps));
        });
        AssertClose(Values(p), expected);
    }

    [Test]
    public void Adam_eps_enters_beside_the_square_root()
    {
        Tensor<float> p = Parameter();
        var adam = new Adam([p], learningRate: 0.1, eps: 0.5);
        SetGrad(p, s_g1);
        adam.Step();
        AssertClose(Values(p), Map(i => s_theta[i] - (0.1 * s_g1[i] / (Math.Abs(s_g1[i]) + 0.5))));
    }

    [Test]
    public void Adam_weight_decay_is_L2_added_to_the_gradient()
    {
        Tensor<float> p = Parameter();
        var adam = new Adam([p], learningRate: 0.01, weightDecay: 1);
        SetGrad(p, s_g1);
        adam.Step();
        // g + λθ = (1.5, −1.75, −3.5): still a sign step, now of the decayed gradient.
        AssertClose(Values(p), Map(i => s_theta[i] - (0.01 * Math.Sign(s_g1[i] + s_theta[i]))));
    }

    [Test]
    public void AdamW_decays_the_parameters_first_then_takes_the_Adam_step_on_the_plain_gradient()
    {
        Tensor<float> p = Parameter();
        var adamW = new AdamW([p], learningRate: 0.01, weightDecay: 0.5);
        Assert.That(new AdamW([Parameter()]).WeightDecay, Is.EqualTo(0.01), "PyTorch's default");
        SetGrad(p, s_g1);
        adamW.Step();
        double[] theta1 = Map(i => (s_theta[i] * (1 - (0.01 * 0.5))) - (0.01 * Math.Sign(s_g1[i])));
        AssertClose(Values(p), theta1);

        SetGrad(p, s_g2);
        adamW.Step();
        double[] expected = Map(i =>
        {
            double m = (0.9 * 0.1 * s_g1[i]) + (0.1 * s_g2[i]);
            double v = (0.999 * 0.001 * s_g1[i] * s_g1[i]) + (0.001 * s_g2[i] * s_g2[i]);
            double mHat = m / (1 - 0.81), vHat = v / (1 - (0.999 * 0.999));
            return (theta1[i] * (1 - 0.005)) - (0.01 * mHat / (Math.Sqrt(vHat) + 1e-8));
        });
        AssertClose(Values(p), expected);
    }

    // ───── RMSprop ─────

    [Test]
    public void RMSprop_divides_by_the_root_of_the_running_mean_square()
    {
        Tensor<float> p = Parameter();
        var rms = new RMSprop([p], learningRate: 0.01, alpha: 0.9);
        SetGrad(p, s_g1);
        rms.Step();
        // v₁ = 0.1·g², so the step is lr·g/(√0.1·|g|) = lr·sign(g)/√0.1.
        double[] theta1 = Map(i => s_theta[i] - (0.01 * Math.Sign(s_g1[i]) / Math.Sqrt(0.1)));
        AssertClose(Values(p), theta1);
        SetGrad(p, s_g2);
        rms.Step();
        AssertClose(Values(p), Map(i =>
        {
            double v2 = (0.9 * 0.1 * s_g1[i] * s_g1[i]) + (0.1 * s_g2[i] * s_g2[i]);
            return theta1[i] - (0.01 * s_g2[i] / (Math.Sqrt(v2) + 1e-8));
        }));
    }

    [Test]
    public void RMSprop_momentum_accumulates_the_scaled_steps_from_zero()
    {
        Tensor<float> p = Parameter();
        var rms = new RMSprop([p], learningRate: 0.01, alpha: 0.9, momentum: 0.5);
        SetGrad(p, s_g1);
        rms.Step();
        double[] b1 = Map(i => s_g1[i] / (Math.Sqrt(0.1 * s_g1[i] * s_g1[i]) + 1e-8));
        double[] theta1 = Map(i => s_theta[i] - (0.01 * b1[i]));
        AssertClose(Values(p), theta1);
        SetGrad(p, s_g2);
        rms.Step();
        AssertClose(Values(p), Map(i =>
        {
            double v2 = (0.9 * 0.1 * s_g1[i] * s_g1[i]) + (0.1 * s_g2[i] * s_g2[i]);
            double b2 = (0.5 * b1[i]) + (s_g2[i] / (Math.Sqrt(v2) + 1e-8));
            return theta1[i] - (0.01 * b2);
        }));
    }

    // ───── shared behaviour ─────

    private static IEnumerable<Func<IReadOnlyList<Tensor<float>>, Optimizer>> AllOptimizers =>
    [
        ps => new SGD(ps, 0.1),
        ps => new SGD(ps, 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        ps => new Adam(ps, weightDecay: 0.01),
        ps => new AdamW(ps),
        ps => new RMSprop(ps, momentum: 0.5, weightDecay: 0.01),
    ];

    [TestCaseSource(nameof(AllOptimizers))]
    public void Parameters_without_a_gradient_are_skipped_and_the_others_updated(Func<IReadOnlyList<Tensor<float>>, Optimizer> make)
    {
        Tensor<float> used = Parameter(), unused = Parameter();
        Optimizer optimizer = make([used, unused]);
        SetGrad(used, s_g1);
        optimizer.Step();
        Assert.That(Values(unused), Is.EqualTo(s_theta));
        Assert.That(Values(used), Is.Not.EqualTo(s_theta));
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void Steps_allocate_nothing(Func<IReadOnlyList<Tensor<float>>, Optimizer> make)
    {
        Tensor<float> a = Tensor.RandomNormal<float>([64, 32], seed: 1).RequiresGrad(), b = Parameter();
        a.Grad = Tensor.RandomNormal<float>([64, 32], seed: 2);
        SetGrad(b, s_g1);
        Optimizer optimizer = make([a, b]);
        for (int i = 0; i < 10; i++)
        {
            optimizer.Step();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            optimizer.Step();
            optimizer.ZeroGrad();
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    [Test]
    public void ZeroGrad_zeroes_the_gradients_and_the_learning_rate_can_be_changed_between_steps()
    {
        Tensor<float> p = Parameter();
        var sgd = new SGD([p], learningRate: 0.1);
        SetGrad(p, s_g1);
        sgd.LearningRate = 1;
        sgd.Step();
        AssertClose(Values(p), Map(i => s_theta[i] - s_g1[i]));
        sgd.ZeroGrad();
        Assert.That(p.Grad!.ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void Bad_arguments_are_rejected_with_the_optimiser_and_the_value()
    {
        Tensor<float> p = Parameter();
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new SGD([], 0.1))!.Message, Does.Contain("SGD").And.Contain("empty"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new Adam([p, p]))!.Message, Does.Contain("more than once"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new SGD([p], -1))!.Message, Does.Contain("LearningRate").And.Contain("-1"));
        Assert.That(Assert.Throws<ArgumentException>(() => _ = new SGD([p], 0.1, nesterov: true))!.Message, Does.Contain("Nesterov"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Adam([p], beta1: 1))!.Message, Does.Contain("beta1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new RMSprop([p], alpha: -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new AdamW([p], weightDecay: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD([p], 0.1).LearningRate = double.PositiveInfinity);
    }
}
