using static Autodiff.NN.Tests.TestSupport;
using static Autodiff.Testing.Generators;

namespace Autodiff.NN.Tests;

/// <summary>Dropout: inverted scaling in training, identity in evaluation, masks repeatable by seed.</summary>
[TestFixture]
public sealed class DropoutTests
{
    [Test]
    public void In_training_survivors_are_scaled_by_one_over_one_minus_p()
    {
        var dropout = new Dropout(p: 0.25, seed: 1);
        float[] y = dropout.Forward(Tensor.Ones<float>(20_000)).ToArray();
        Assert.That(y, Is.All.EqualTo(0f).Or.EqualTo(1 / 0.75f));
        double dropped = y.Count(v => v == 0) / (double)y.Length;
        Assert.That(dropped, Is.EqualTo(0.25).Within(0.015));
        Assert.That(y.Average(), Is.EqualTo(1.0).Within(0.02), "the expected output equals the input");
    }

    [Test]
    public void In_evaluation_it_is_the_identity()
    {
        var dropout = new Dropout(p: 0.5, seed: 1);
        dropout.Eval();
        Tensor<float> x = Tensor.RandomNormal<float>([4, 4], seed: 2);
        Assert.That(dropout.Forward(x), Is.SameAs(x));
        Assert.That(Functional.Dropout(x, 0.5, seed: 3, training: false), Is.SameAs(x));
        dropout.Train();
        Assert.That(dropout.Forward(x).ToArray(), Is.Not.EqualTo(x.ToArray()));
    }

    [Test]
    public void Masks_repeat_by_seed_and_change_from_pass_to_pass()
    {
        Tensor<float> x = Tensor.Ones<float>(64);
        var a = new Dropout(0.5, seed: 9);
        var b = new Dropout(0.5, seed: 9);
        float[] first = a.Forward(x).ToArray();
        Assert.That(b.Forward(x).ToArray(), Is.EqualTo(first));
        Assert.That(a.Forward(x).ToArray(), Is.Not.EqualTo(first));
        float[] once = Functional.Dropout(x, 0.5, seed: 4).ToArray();
        Assert.That(Functional.Dropout(x, 0.5, seed: 4).ToArray(), Is.EqualTo(once));
    }

    [Test]
    public void P_zero_keeps_everything_and_p_one_drops_everything()
    {
        Tensor<float> x = Tensor.RandomNormal<float>([10], seed: 5);
        Assert.That(new Dropout(0).Forward(x).ToArray(), Is.EqualTo(x.ToArray()));
        Assert.That(new Dropout(1).Forward(x).ToArray(), Is.All.EqualTo(0f));
    }

    [TestCase(-0.1)]
    [TestCase(1.5)]
    [TestCase(double.NaN)]
    public void Invalid_p_is_rejected(double p)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Dropout(p));
        Assert.That(ex!.Message, Does.Contain("Dropout"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.Dropout(Tensor.Ones<double>(2), p, seed: 1));
    }

    [Test]
    public void Gradient_is_the_mask()
    {
        Tensor<double> x = Tensor.RandomNormal<double>([3, 4], seed: 6).RequiresGrad();
        Tensor<double> y;
        using (var tape = new Tape())
        {
            y = Functional.Dropout(x, 0.4, seed: 7);
            y.Sum().Backward();
        }

        double[] mask = y.ToArray().Zip(x.ToArray(), (a, b) => a / b).ToArray();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(mask).Within(1e-12));
        Assert.That(mask, Is.All.EqualTo(0.0).Or.EqualTo(1 / 0.6).Within(1e-12));
    }

    [Test]
    public void Functional_form_gradient_matches_finite_differences()
        => AssertGradientsForAll(TensorOf(PlainShape(), Uniform(-2, 2)), x => [x], _ => t => Functional.Dropout(t[0], 0.3, seed: 11));
}
