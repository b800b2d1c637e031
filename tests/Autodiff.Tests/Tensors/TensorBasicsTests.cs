namespace Autodiff.Tests.Tensors;

/// <summary>Creating, reading and printing tensors.</summary>
[TestFixture]
public sealed class TensorBasicsTests
{
    [Test]
    public void Factories_make_the_shapes_and_values_asked_for()
    {
        Assert.That(Tensor.Zeros<float>(2, 3).ToArray(), Is.EqualTo(new float[6]));
        Assert.That(Tensor.Ones<double>(2).ToArray(), Is.EqualTo(new[] { 1.0, 1.0 }));
        Assert.That(Tensor.Full(7.5, 1, 2).ToArray(), Is.EqualTo(new[] { 7.5, 7.5 }));
        Assert.That(Tensor.Arange(0.0, 1.0, 0.25).ToArray(), Is.EqualTo(new[] { 0, 0.25, 0.5, 0.75 }));
        Assert.That(Tensor.Arange<float>(3).ToArray(), Is.EqualTo(new[] { 0f, 1f, 2f }));
        Assert.That(Tensor.Scalar(2.0).Rank, Is.Zero);
        Tensor<double> m = Tensor.FromArray<double>([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.That(m.ShapeArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(m[1, 2], Is.EqualTo(6.0));
        Assert.That(m[-1, 0], Is.EqualTo(4.0), "negative indices count from the end");
        Assert.That(Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } })[1, 0], Is.EqualTo(3.0));
    }

    [Test]
    public void Seeded_random_tensors_repeat_and_have_the_asked_moments()
    {
        Tensor<double> a = Tensor.RandomNormal<double>([100_000], seed: 5, mean: 1, std: 2);
        Assert.That(a.ToArray(), Is.EqualTo(Tensor.RandomNormal<double>([100_000], seed: 5, mean: 1, std: 2).ToArray()));
        Assert.That(a.Mean().Item(), Is.EqualTo(1.0).Within(0.03));
        Assert.That(a.Sub(a.Mean()).Pow(2.0).Mean().Sqrt().Item(), Is.EqualTo(2.0).Within(0.03));
        Tensor<float> u = Tensor.RandomUniform<float>([1000], seed: 1, low: -1, high: 3);
        Assert.That(u.Min().Item(), Is.GreaterThanOrEqualTo(-1f));
        Assert.That(u.Max().Item(), Is.LessThan(3f));
    }

    [Test]
    public void Bad_shapes_and_indices_are_clear_errors()
    {
        var fill = Assert.Throws<ArgumentException>(() => Tensor.FromArray<double>([1, 2, 3], 2, 2));
        Assert.That(fill!.Message, Does.Contain("3 values").And.Contain("[2, 2]"));
        var index = Assert.Throws<ArgumentOutOfRangeException>(() => _ = Tensor.Zeros<double>(2, 3)[0, 3]);
        Assert.That(index!.Message, Does.Contain("[2, 3]"));
        var item = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros<double>(2).Item());
        Assert.That(item!.Message, Does.Contain("[2]"));
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0.0, 1.0, 0.0));
        var reshape = Assert.Throws<ArgumentException>(() => Tensor.Zeros<double>(2, 3).Reshape([4, 2]));
        Assert.That(reshape!.Message, Does.Contain("Reshape").And.Contain("[2, 3]").And.Contain("[4, 2]"));
    }

    [Test]
    public void ToString_shows_values_shape_dtype_and_tracking_like_pytorch()
    {
        Tensor<float> m = Tensor.FromArray<float>([1, 2.5f, 3, 4], 2, 2);
        Assert.That(m.ToString(), Is.EqualTo("tensor([[1, 2.5],\n        [3, 4]], shape=[2, 2], dtype=float32)"));
        Assert.That(Tensor.Scalar(0.5).ToString(), Is.EqualTo("tensor(0.5, shape=[], dtype=float64)"));
        Tensor<double> w = Tensor.Ones<double>(2).RequiresGrad();
        Assert.That(w.ToString(), Does.EndWith("requires_grad=True)"));
        using var tape = new Tape();
        Assert.That(w.Exp().ToString(), Does.EndWith("grad_fn=Exp)"));
        string big = Tensor.Arange<double>(2000).ToString();
        Assert.That(big, Does.StartWith("tensor([0, 1, 2, ..., 1997, 1998, 1999]"));
    }

    [Test]
    public void Detach_and_clone_share_or_copy_as_documented()
    {
        Tensor<double> x = Tensor.FromArray<double>([1, 2]).RequiresGrad();
        Tensor<double> detached = x.Detach(), clone = x.Clone();
        Assert.That(detached.GradRequired, Is.False);
        x.MutableSpan()[0] = 10;
        Assert.That(detached[0], Is.EqualTo(10.0), "Detach shares the data");
        Assert.That(clone[0], Is.EqualTo(1.0), "Clone copies it");
    }

    [Test]
    public void Parallelism_setting_is_per_flow_and_validated()
    {
        int before = Parallelism.MaxThreads;
        Assert.That(before, Is.GreaterThan(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 0);
    }
}
