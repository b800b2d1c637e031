namespace Autodiff.Tests.Tensors;

/// <summary>Batch normalisation: the statistics it normalises by and the running statistics it keeps, by hand.</summary>
[TestFixture]
public sealed class BatchNormTests
{
    [Test]
    public void Training_normalises_each_channel_by_the_batch_and_updates_the_running_statistics()
    {
        // Channel 0 holds 1, 2, 3, 4 (mean 2.5, biased variance 1.25, unbiased 5/3); channel 1 holds 10, 10, 10, 14.
        Tensor<double> x = Tensor.FromArray<double>([1, 2, 10, 10, 3, 4, 10, 14], [2, 2, 2]);
        Tensor<double> mean = Tensor.Zeros<double>(2), variance = Tensor.Ones<double>(2);
        Tensor<double> y = Tensor.BatchNorm(x, mean, variance, Tensor.FromArray<double>([2.0, 1.0], [2]), Tensor.FromArray<double>([0.5, 0.0], [2]), training: true, momentum: 0.1, eps: 0);

        double s = Math.Sqrt(1.25);
        Assert.That(y[0, 0, 0], Is.EqualTo((2 * (1 - 2.5) / s) + 0.5).Within(1e-12));
        Assert.That(y[1, 0, 1], Is.EqualTo((2 * (4 - 2.5) / s) + 0.5).Within(1e-12));
        Assert.That(y[1, 1, 1], Is.EqualTo((14 - 11) / Math.Sqrt(3)).Within(1e-12), "channel 1: mean 11, biased variance 3");
        Assert.That(mean.ToArray(), Is.EqualTo(new[] { 0.25, 1.1 }).Within(1e-12));
        Assert.That(variance.ToArray(), Is.EqualTo(new[] { (0.9 * 1) + (0.1 * 5.0 / 3), (0.9 * 1) + (0.1 * 4.0) }).Within(1e-12));
    }

    [Test]
    public void Evaluation_uses_the_running_statistics_and_leaves_them_alone()
    {
        Tensor<double> x = Tensor.FromArray<double>([1, 2, 3, 4], [2, 2]);
        Tensor<double> mean = Tensor.FromArray<double>([1.0, -1.0], [2]), variance = Tensor.FromArray<double>([4.0, 0.25], [2]);
        Tensor<double> y = Tensor.BatchNorm(x, mean, variance, training: false, eps: 0);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0.0, 6.0, 1.0, 10.0 }).Within(1e-12));
        Assert.That(mean.ToArray(), Is.EqualTo(new[] { 1.0, -1.0 }));
        Assert.That(variance.ToArray(), Is.EqualTo(new[] { 4.0, 0.25 }));
    }

    [Test]
    public void Misuse_is_reported_with_the_shapes()
    {
        Tensor<float> x = Tensor.Zeros<float>(4, 3, 2, 2);
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.BatchNorm(x, null, null, Tensor.Ones<float>(4), training: true))!.Message,
            Does.Contain("BatchNorm").And.Contain("[4, 3, 2, 2]").And.Contain("weight has shape [4]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.BatchNorm(x, null, null))!.Message, Does.Contain("running mean and variance"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.BatchNorm(Tensor.Zeros<float>(1, 3), null, null, training: true))!.Message, Does.Contain("more than one value per channel"));
    }
}
