namespace Autodiff.Tests.Reliability;

/// <summary>The version counter: writing into a tensor that a recorded op saved makes its backward refuse to run.</summary>
[TestFixture]
public sealed class VersionCounterTests
{
    [Test]
    public void MutableSpan_bumps_the_version_shared_by_views()
    {
        Tensor<double> x = Tensor.Zeros<double>(2, 3);
        Tensor<double> view = x.Detach().Reshape([6]);
        Assert.That(x.Version, Is.Zero);
        _ = view.MutableSpan();
        Assert.That(x.Version, Is.EqualTo(1));
        Assert.That(view.Version, Is.EqualTo(1));
        _ = x.Span; // reading does not count
        Assert.That(x.Version, Is.EqualTo(1));
    }

    [Test]
    public void Changing_a_saved_input_before_backward_throws_naming_the_op()
    {
        using var tape = new Tape();
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0], 2).RequiresGrad();
        Tensor<double> y = (x * x).Sum();
        x.MutableSpan()[0] = 10.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.That(ex!.Message, Does.Contain("'Mul'").And.Contain("changed in place").And.Contain("Clone()"));
    }

    [Test]
    public void Changing_a_saved_result_before_backward_throws()
    {
        using var tape = new Tape();
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0], 2).RequiresGrad();
        Tensor<double> e = x.Exp(); // its rule uses the result
        Tensor<double> y = e.Sum();
        e.MutableSpan()[1] = 0.0;
        Assert.Throws<InvalidOperationException>(() => y.Backward());
    }

    [Test]
    public void Updating_parameters_after_backward_and_recording_again_is_fine()
    {
        using var tape = new Tape();
        Tensor<double> w = Tensor.FromArray<double>([1.0, 2.0], 2).RequiresGrad();
        for (int step = 0; step < 3; step++)
        {
            tape.Reset();
            w.ZeroGrad();
            (w * w).Sum().Backward();
            Span<double> p = w.MutableSpan(); // what an optimiser does
            p[0] -= 0.1 * w.Grad!.Span[0];
            p[1] -= 0.1 * w.Grad!.Span[1];
        }

        Assert.That(w.ToArray()[0], Is.EqualTo(0.512).Within(1e-12));
    }
}
