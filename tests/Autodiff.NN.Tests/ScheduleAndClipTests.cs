using Autodiff.NN.Optim;
using static Autodiff.NN.Tests.TestSupport;

namespace Autodiff.NN.Tests;

/// <summary>Learning-rate schedules (their sequences, epoch by epoch) and gradient clipping.</summary>
[TestFixture]
public sealed class ScheduleAndClipTests
{
    private static SGD Optimizer(double lr) => new([Tensor.Zeros<float>(1).RequiresGrad()], lr);

    private static double[] Sequence(LRScheduler scheduler, int epochs)
    {
        var rates = new List<double> { scheduler.Optimizer.LearningRate };
        for (int e = 1; e < epochs; e++)
        {
            scheduler.Step();
            rates.Add(scheduler.Optimizer.LearningRate);
        }

        return [.. rates];
    }

    [Test]
    public void StepLR_multiplies_by_gamma_every_step_size_epochs()
    {
        var schedule = new StepLR(Optimizer(1.0), stepSize: 3, gamma: 0.1);
        Assert.That(Sequence(schedule, 8), Is.EqualTo(new[] { 1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01 }).Within(1e-15));
        Assert.That(schedule.Epoch, Is.EqualTo(7));
    }

    [Test]
    public void CosineAnnealingLR_follows_half_a_cosine_down_to_eta_min_and_back()
    {
        var schedule = new CosineAnnealingLR(Optimizer(1.0), tMax: 4, etaMin: 0.1);
        double c = Math.Cos(Math.PI / 4);
        double[] expected = [1, 0.1 + (0.9 * (1 + c) / 2), 0.55, 0.1 + (0.9 * (1 - c) / 2), 0.1, 0.1 + (0.9 * (1 - c) / 2), 0.55];
        Assert.That(Sequence(schedule, 7), Is.EqualTo(expected).Within(1e-15));
    }

    [Test]
    public void Schedules_reject_bad_arguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepLR(Optimizer(1), stepSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new StepLR(Optimizer(1), stepSize: 2, gamma: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CosineAnnealingLR(Optimizer(1), tMax: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CosineAnnealingLR(Optimizer(1), tMax: 5, etaMin: -0.1));
    }

    [Test]
    public void ClipGradNorm_scales_all_gradients_together_to_the_max_norm_and_returns_the_norm()
    {
        Tensor<float> a = Tensor.Zeros<float>(2).RequiresGrad(), b = Tensor.Zeros<float>(1).RequiresGrad(), none = Tensor.Zeros<float>(3).RequiresGrad();
        a.Grad = Floats([3, 4]);
        b.Grad = Floats([12]);
        double norm = ClipGrad.ClipGradNorm([a, b, none], maxNorm: 6.5);
        Assert.That(norm, Is.EqualTo(13).Within(1e-6), "√(3² + 4² + 12²)");
        double scale = 6.5 / (13 + 1e-6);
        Assert.That(a.Grad.ToArray(), Is.EqualTo(new[] { 3 * scale, 4 * scale }).Within(1e-6));
        Assert.That(b.Grad.ToArray(), Is.EqualTo(new[] { 12 * scale }).Within(1e-6));
        Assert.That(none.Grad, Is.Null);
    }

    [Test]
    public void ClipGradNorm_leaves_gradients_below_the_max_norm_alone()
    {
        Tensor<float> a = Tensor.Zeros<float>(2).RequiresGrad();
        a.Grad = Floats([3, 4]);
        Assert.That(ClipGrad.ClipGradNorm([a], maxNorm: 5.5), Is.EqualTo(5).Within(1e-6));
        Assert.That(a.Grad.ToArray(), Is.EqualTo(new[] { 3f, 4f }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClipGrad.ClipGradNorm([a], -1));
    }

    [Test]
    public void ClipGradValue_clamps_each_element()
    {
        Tensor<float> a = Tensor.Zeros<float>(4).RequiresGrad();
        a.Grad = Floats([-3, -0.5f, 0.5f, 3]);
        ClipGrad.ClipGradValue([a], 1);
        Assert.That(a.Grad.ToArray(), Is.EqualTo(new[] { -1, -0.5f, 0.5f, 1 }));
    }
}
