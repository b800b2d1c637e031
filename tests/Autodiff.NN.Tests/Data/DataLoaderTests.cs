using Autodiff.NN.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.NN.Tests.Data;

/// <summary>DataLoader: every sample once per epoch, full batches, seeded per-epoch orders, and buffer lifetimes.</summary>
[TestFixture]
public sealed class DataLoaderTests
{
    /// <summary>The sample ids of each batch of one pass, checking on the way that X and Y belong together.</summary>
    private static List<int[]> Pass(IEnumerable<(Tensor<float> X, int[] Y)> batches)
    {
        var result = new List<int[]>();
        foreach ((Tensor<float> x, int[] y) in batches)
        {
            int[] ids = DatasetTests.SampleIds(x);
            Assert.That(y, Is.EqualTo(ids.Select(i => i % 3)), "labels travel with their samples");
            Assert.That(x.Shape[1], Is.EqualTo(2));
            result.Add(ids);
        }

        return result;
    }

    [Test]
    public void Every_sample_is_seen_exactly_once_per_epoch_in_full_batches()
    {
        Gen<(int N, int Batch, bool DropLast, bool Shuffle, int Seed)> cases =
            from n in Gen.Choose(0, 70)
            from batch in Gen.Choose(1, 25)
            from dropLast in Gen.Elements(false, true)
            from shuffle in Gen.Elements(false, true)
            from seed in Gen.Choose(-1000, 1000)
            select (n, batch, dropLast, shuffle, seed);

        Property property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var loader = new DataLoader(DatasetTests.Indexed(c.N), c.Batch, c.Shuffle, c.Seed, c.DropLast);
            for (int epoch = 0; epoch < 3; epoch++)
            {
                List<int[]> batches = Pass(loader);
                int[] seen = [.. batches.SelectMany(b => b)];
                Assert.That(batches, Has.Count.EqualTo(loader.BatchCount));
                Assert.That(batches.Take(batches.Count - 1), Has.All.Length.EqualTo(c.Batch), "only the last batch may be short");
                Assert.That(seen, Is.Unique);
                if (c.DropLast)
                {
                    Assert.That(batches, Has.All.Length.EqualTo(c.Batch));
                    Assert.That(seen, Has.Length.EqualTo(c.N / c.Batch * c.Batch));
                }
                else
                {
                    Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(0, c.N)));
                }
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Test]
    public void The_same_seed_repeats_the_run_and_epochs_differ()
    {
        Dataset data = DatasetTests.Indexed(100);
        var a = new DataLoader(data, batchSize: 16, shuffle: true, seed: 42);
        var b = new DataLoader(data, batchSize: 16, shuffle: true, seed: 42);
        List<int[]> a0 = Pass(a), a1 = Pass(a), b0 = Pass(b), b1 = Pass(b);
        Assert.That(b0, Is.EqualTo(a0));
        Assert.That(b1, Is.EqualTo(a1));
        Assert.That(a1, Is.Not.EqualTo(a0), "each epoch reshuffles");
        Assert.That(a0.SelectMany(x => x), Is.Not.Ordered, "shuffled, not in data-set order");
        Assert.That(a.NextEpoch, Is.EqualTo(2));

        var c = new DataLoader(data, batchSize: 16, shuffle: true, seed: 43);
        Assert.That(Pass(c), Is.Not.EqualTo(a0), "another seed, another order");
    }

    [Test]
    public void Epoch_gives_a_chosen_epoch_without_advancing_the_count()
    {
        var loader = new DataLoader(DatasetTests.Indexed(30), batchSize: 7, seed: 9);
        List<int[]> third = Pass(loader.Epoch(2));
        Assert.That(loader.NextEpoch, Is.EqualTo(0));
        Pass(loader);
        Pass(loader);
        Assert.That(Pass(loader), Is.EqualTo(third));
        Assert.That(loader.Order(2), Is.EqualTo(third.SelectMany(x => x)));
    }

    [Test]
    public void Without_shuffling_every_epoch_is_in_data_set_order()
    {
        var loader = new DataLoader(DatasetTests.Indexed(10), batchSize: 4, shuffle: false);
        List<int[]> expected = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]];
        Assert.That(Pass(loader), Is.EqualTo(expected));
        Assert.That(Pass(loader), Is.EqualTo(expected));
    }

    [Test]
    public void Batches_can_be_kept_by_default_as_PyTorch_keeps_them()
    {
        // Issue 15: with buffers reused by default, ToList() gave the last batch four times.
        List<(Tensor<float> X, int[] Y)> batches = new DataLoader(DatasetTests.Indexed(8, classes: 8), 2, shuffle: false).ToList();
        Assert.That(batches.Select(b => DatasetTests.SampleIds(b.X)), Is.EqualTo(new[] { new[] { 0, 1 }, [2, 3], [4, 5], [6, 7] }));
        Assert.That(batches.Select(b => b.Y), Is.EqualTo(new[] { new[] { 0, 1 }, [2, 3], [4, 5], [6, 7] }).Using<int[]>((a, b) => a.SequenceEqual(b)));
    }

    [Test]
    public void Reused_buffers_are_an_opt_in_and_a_batch_read_after_the_loader_moved_on_throws()
    {
        var loader = new DataLoader(DatasetTests.Indexed(10, classes: 10), batchSize: 4, shuffle: false, reuseBuffers: true);
        using IEnumerator<(Tensor<float> X, int[] Y)> e = loader.GetEnumerator();
        Assert.That(e.MoveNext(), Is.True);
        (Tensor<float> first, int[] firstLabels) = e.Current;
        Tensor<float> kept = first.Clone(), view = first.Reshape([2, 2, 2]);
        Assert.That(DatasetTests.SampleIds(first), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(e.MoveNext(), Is.True);
        Assert.That(DatasetTests.SampleIds(e.Current.X), Is.EqualTo(new[] { 4, 5, 6, 7 }));

        var error = Assert.Throws<InvalidOperationException>(() => first.ToArray());
        Assert.That(error!.Message, Does.Contain("overwritten by the next one").And.Contain("reuseBuffers").And.Contain("Clone()"));
        Assert.Throws<InvalidOperationException>(() => view.Sum(), "a view of the superseded batch is superseded too");
        Assert.That(DatasetTests.SampleIds(kept), Is.EqualTo(new[] { 0, 1, 2, 3 }), "a clone taken in time keeps its values");
        Assert.That(firstLabels, Is.EqualTo(new[] { 0, 1, 2, 3 }), "labels are a new array for every batch");

        Tensor<float> second = e.Current.X;
        Assert.That(e.MoveNext(), Is.True);
        Assert.That(e.Current.X.ShapeArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(DatasetTests.SampleIds(second), Is.EqualTo(new[] { 4, 5, 6, 7 }), "the short last batch has its own buffer");
        Assert.That(e.MoveNext(), Is.False);
    }

    [Test]
    public void Separate_passes_and_unshared_loaders_do_not_overwrite_each_other()
    {
        var shared = new DataLoader(DatasetTests.Indexed(8), batchSize: 4, shuffle: false);
        using IEnumerator<(Tensor<float> X, int[] Y)> one = shared.GetEnumerator(), two = shared.GetEnumerator();
        one.MoveNext();
        two.MoveNext();
        two.MoveNext();
        Assert.That(DatasetTests.SampleIds(one.Current.X), Is.EqualTo(new[] { 0, 1, 2, 3 }));

        var kept = new DataLoader(DatasetTests.Indexed(8), batchSize: 4, shuffle: false, reuseBuffers: false).ToList();
        Assert.That(kept.Select(b => DatasetTests.SampleIds(b.X)), Is.EqualTo(new[] { new[] { 0, 1, 2, 3 }, [4, 5, 6, 7] }));
    }

    [Test]
    public void Samples_of_any_rank_keep_their_shape_in_a_batch()
    {
        var features = Tensor.Arange<float>(5 * 2 * 3).Reshape([5, 2, 3]);
        var loader = new DataLoader(new Dataset(features, [0, 1, 2, 3, 4]), batchSize: 2, shuffle: false);
        (Tensor<float> x, int[] y) = loader.First();
        Assert.That(x.ShapeArray(), Is.EqualTo(new[] { 2, 2, 3 }));
        Assert.That(x.ToArray(), Is.EqualTo(features.Span[..12].ToArray()));
        Assert.That(y, Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new DataLoader(DatasetTests.Indexed(3), batchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(DatasetTests.Indexed(3), 1).Epoch(-1));
    }
}
