namespace Autodiff.NN.Tests;

/// <summary>Initialisers: the bounds and variances of PyTorch's formulas, and repeatability by seed.</summary>
[TestFixture]
public sealed class InitTests
{
    private const int N = 200_000;

    private static (double Mean, double Variance, double MaxAbs) Moments(ReadOnlySpan<double> w)
    {
        double mean = 0, sq = 0, max = 0;
        foreach (double v in w)
        {
            mean += v;
            sq += v * v;
            max = Math.Max(max, Math.Abs(v));
        }

        mean /= w.Length;
        return (mean, (sq / w.Length) - (mean * mean), max);
    }

    [Test]
    public void Xavier_uniform_has_bound_sqrt6_over_fan_sum_and_variance_2_over_fan_sum()
    {
        var w = new double[N];
        Init.XavierUniform<double>(w, fanIn: 300, fanOut: 100, seed: 1);
        (double mean, double variance, double maxAbs) = Moments(w);
        double bound = Math.Sqrt(6.0 / 400);
        Assert.That(maxAbs, Is.LessThanOrEqualTo(bound).And.GreaterThan(0.99 * bound));
        Assert.That(variance, Is.EqualTo(2.0 / 400).Within(2).Percent);
        Assert.That(mean, Is.EqualTo(0).Within(0.01 * bound));
    }

    [Test]
    public void Xavier_normal_has_variance_2_over_fan_sum()
    {
        var w = new double[N];
        Init.XavierNormal<double>(w, fanIn: 50, fanOut: 150, seed: 2);
        Assert.That(Moments(w).Variance, Is.EqualTo(2.0 / 200).Within(2).Percent);
    }

    [Test]
    public void Kaiming_uniform_has_bound_sqrt6_over_fan_in_for_relu()
    {
        var w = new double[N];
        Init.KaimingUniform<double>(w, fanIn: 784, seed: 3);
        (_, double variance, double maxAbs) = Moments(w);
        double bound = Math.Sqrt(6.0 / 784);
        Assert.That(maxAbs, Is.LessThanOrEqualTo(bound).And.GreaterThan(0.99 * bound));
        Assert.That(variance, Is.EqualTo(2.0 / 784).Within(2).Percent);
    }

    [Test]
    public void Kaiming_normal_has_variance_2_over_fan_in()
    {
        var w = new double[N];
        Init.KaimingNormal<double>(w, fanIn: 128, seed: 4);
        Assert.That(Moments(w).Variance, Is.EqualTo(2.0 / 128).Within(2).Percent);
    }

    [Test]
    public void Same_seed_same_weights_in_float_and_double()
    {
        var a = new float[64];
        var b = new float[64];
        var c = new double[64];
        Init.KaimingNormal<float>(a, fanIn: 10, seed: 7);
        Init.KaimingNormal<float>(b, fanIn: 10, seed: 7);
        Init.KaimingNormal<double>(c, fanIn: 10, seed: 7);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.EqualTo(c.Select(v => (float)v).ToArray()));
        Init.KaimingNormal<float>(b, fanIn: 10, seed: 8);
        Assert.That(a, Is.Not.EqualTo(b));
    }

    [Test]
    public void Bad_fans_are_rejected_with_the_values()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Init.XavierUniform<double>(new double[4], 0, 3, seed: 1));
        Assert.That(ex!.Message, Does.Contain("fanIn = 0"));
    }
}
