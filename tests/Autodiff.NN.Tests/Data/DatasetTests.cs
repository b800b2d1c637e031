using Autodiff.NN.Data;

namespace Autodiff.NN.Tests.Data;

/// <summary>Dataset: validation, subsets, and seeded train/test splits that partition the samples.</summary>
[TestFixture]
public sealed class DatasetTests
{
    /// <summary>N samples of [2] whose first feature is the sample's index, so a sample can be traced anywhere.</summary>
    internal static Dataset Indexed(int n, int classes = 3)
    {
        var values = new float[n * 2];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            values[2 * i] = i;
            values[(2 * i) + 1] = -i;
            labels[i] = i % classes;
        }

        return new Dataset(n == 0 ? Tensor.Zeros<float>(0, 2) : Tensor.FromArray<float>(values, n, 2), labels);
    }

    internal static int[] SampleIds(Tensor<float> x)
    {
        int size = x.Shape[0] == 0 ? 0 : x.Size / x.Shape[0];
        return [.. Enumerable.Range(0, x.Shape[0]).Select(k => (int)x.Span[k * size])];
    }

    [Test]
    public void Counts_shapes_and_classes_are_reported()
    {
        var data = new Dataset(Tensor.Zeros<float>(5, 2, 3), [0, 1, 4, 1, 0]);
        Assert.That(data.Count, Is.EqualTo(5));
        Assert.That(data.SampleShape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(data.SampleSize, Is.EqualTo(6));
        Assert.That(data.ClassCount, Is.EqualTo(5));
        Assert.That(data.ToString(), Does.Contain("5 samples").And.Contain("[2, 3]"));
    }

    [Test]
    public void Labels_are_copied_so_the_callers_array_can_change()
    {
        int[] labels = [1, 2];
        var data = new Dataset(Tensor.Zeros<float>(2, 1), labels);
        labels[0] = 7;
        Assert.That(data.Labels, Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void Mismatched_counts_negative_labels_and_rank_0_features_are_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new Dataset(Tensor.Zeros<float>(3, 2), [0, 1]));
        Assert.That(ex!.Message, Does.Contain("3 samples").And.Contain("2 labels"));
        ex = Assert.Throws<ArgumentException>(() => _ = new Dataset(Tensor.Zeros<float>(2, 2), [0, -1]));
        Assert.That(ex!.Message, Does.Contain("-1").And.Contain("sample 1"));
        Assert.Throws<ArgumentException>(() => _ = new Dataset(Tensor.Scalar(1f), []));
    }

    [Test]
    public void Subset_takes_the_samples_in_the_given_order()
    {
        Dataset data = Indexed(6);
        Dataset subset = data.Subset([4, 1, 4]);
        Assert.That(SampleIds(subset.Features), Is.EqualTo(new[] { 4, 1, 4 }));
        Assert.That(subset.Features.ShapeArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(subset.Features.Span[1], Is.EqualTo(-4f));
        Assert.That(subset.Labels, Is.EqualTo(new[] { 1, 1, 1 }));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([0, 6]));
        Assert.That(ex!.Message, Does.Contain("index 6"));
    }

    [TestCase(100, 0.25, false)]
    [TestCase(101, 0.3, true)]
    [TestCase(10, 0.0, false)]
    [TestCase(10, 1.0, true)]
    public void Split_partitions_the_samples_and_repeats_by_seed(int n, double fraction, bool stratify)
    {
        Dataset data = Indexed(n);
        (Dataset train, Dataset test) = data.Split(fraction, seed: 5, stratify);
        Assert.That(SampleIds(train.Features).Concat(SampleIds(test.Features)).Order(), Is.EqualTo(Enumerable.Range(0, n)));
        if (!stratify)
        {
            Assert.That(test.Count, Is.EqualTo((int)Math.Round(n * fraction, MidpointRounding.AwayFromZero)));
        }

        (Dataset train2, Dataset test2) = data.Split(fraction, seed: 5, stratify);
        Assert.That(train2.Labels, Is.EqualTo(train.Labels));
        Assert.That(test2.Features.ToArray(), Is.EqualTo(test.Features.ToArray()));
    }

    [Test]
    public void Split_shuffles_differently_for_different_seeds()
    {
        Dataset data = Indexed(50);
        Assert.That(SampleIds(data.Split(0.2, seed: 1).Test.Features), Is.Not.EqualTo(SampleIds(data.Split(0.2, seed: 2).Test.Features)));
    }

    [Test]
    public void Stratified_split_gives_each_class_its_share()
    {
        // 60 of class 0, 30 of class 1, 10 of class 2: a 20 % test set holds 12, 6 and 2 of them.
        int[] labels = [.. Enumerable.Repeat(0, 60), .. Enumerable.Repeat(1, 30), .. Enumerable.Repeat(2, 10)];
        var data = new Dataset(Tensor.Zeros<float>(100, 1), labels);
        (Dataset train, Dataset test) = data.Split(0.2, seed: 3, stratify: true);
        Assert.That(test.Labels.CountBy(l => l).OrderBy(p => p.Key).Select(p => p.Value), Is.EqualTo(new[] { 12, 6, 2 }));
        Assert.That(train.Labels.CountBy(l => l).OrderBy(p => p.Key).Select(p => p.Value), Is.EqualTo(new[] { 48, 24, 8 }));
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Split_rejects_fractions_outside_0_to_1(double fraction)
        => Assert.Throws<ArgumentOutOfRangeException>(() => Indexed(4).Split(fraction, seed: 0));
}
