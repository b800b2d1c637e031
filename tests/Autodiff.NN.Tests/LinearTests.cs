using FsCheck;
using FsCheck.Fluent;
using static Autodiff.NN.Tests.TestSupport;
using static Autodiff.Testing.Generators;

namespace Autodiff.NN.Tests;

/// <summary>Linear: shapes for every input rank, parameters, PyTorch's initialisation, the closed form and its gradient.</summary>
[TestFixture]
public sealed class LinearTests
{
    [TestCase(new[] { 3 }, new[] { 5 })]
    [TestCase(new[] { 2, 3 }, new[] { 2, 5 })]
    [TestCase(new[] { 4, 2, 3 }, new[] { 4, 2, 5 })]
    [TestCase(new[] { 2, 1, 2, 3 }, new[] { 2, 1, 2, 5 })]
    public void Output_has_the_input_batch_axes_and_out_features(int[] inputShape, int[] outputShape)
    {
        var layer = new Linear(3, 5, seed: 1);
        Tensor<float> y = layer.Forward(Tensor.RandomNormal<float>(inputShape, seed: 2));
        Assert.That(y.ShapeArray(), Is.EqualTo(outputShape));
    }

    [Test]
    public void Batch_axes_are_independent_rows()
    {
        var layer = new Linear(3, 2, seed: 4);
        Tensor<float> x = Tensor.RandomNormal<float>([2, 4, 3], seed: 5);
        Tensor<float> folded = layer.Forward(x.Reshape([8, 3]));
        Assert.That(layer.Forward(x).ToArray(), Is.EqualTo(folded.ToArray()).Within(1e-6));
    }

    [Test]
    public void Computes_x_times_W_transposed_plus_b()
    {
        var layer = new Linear(2, 3, seed: 1);
        new float[] { 1, 2, 3, 4, 5, 6 }.CopyTo(layer.Weight.MutableSpan());   // W = [[1, 2], [3, 4], [5, 6]]
        new float[] { 0.5f, -1, 2 }.CopyTo(layer.Bias!.MutableSpan());
        Tensor<float> y = layer.Forward(Floats([1, -1, 2, 0.5f], 2, 2));
        // Row (1, −1): (1 − 2, 3 − 4, 5 − 6) + b; row (2, 0.5): (2 + 1, 6 + 2, 10 + 3) + b.
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -0.5f, -2, 1, 3.5f, 7, 15 }));
    }

    [Test]
    public void Parameters_are_weight_out_by_in_and_bias_out()
    {
        var layer = new Linear(4, 3);
        var named = layer.NamedParameters();
        Assert.That(named.Select(p => p.Name), Is.EqualTo(new[] { "weight", "bias" }));
        Assert.That(named[0].Parameter.ShapeArray(), Is.EqualTo(new[] { 3, 4 }));
        Assert.That(named[1].Parameter.ShapeArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(named.All(p => p.Parameter.GradRequired), Is.True);
        Assert.That(layer.Parameters(), Has.Count.EqualTo(2));
    }

    [Test]
    public void Without_bias_there_is_only_the_weight()
    {
        var layer = new Linear(4, 3, bias: false);
        Assert.That(layer.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "weight" }));
        Assert.That(layer.Bias, Is.Null);
        Assert.That(layer.Forward(Tensor.Zeros<float>(2, 4)).ToArray(), Is.All.EqualTo(0f));
    }

    [Test]
    public void Default_init_is_uniform_within_one_over_sqrt_fan_in_like_PyTorch()
    {
        var layer = new Linear(100, 400, seed: 3);
        float bound = 1 / MathF.Sqrt(100);
        float[] w = layer.Weight.ToArray(), b = layer.Bias!.ToArray();
        Assert.That(w.Max(MathF.Abs), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.99f * bound));
        Assert.That(b.Max(MathF.Abs), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.9f * bound));
        // Var U(−a, a) = a²/3.
        double variance = w.Select(v => (double)v * v).Average();
        Assert.That(variance, Is.EqualTo(bound * bound / 3.0).Within(3).Percent);
    }

    [Test]
    public void The_seed_decides_the_weights_and_the_bias_is_not_a_copy_of_them()
    {
        var layer = new Linear(3, 4, seed: 7);
        var same = new Linear(3, 4, seed: 7);
        var other = new Linear(3, 4, seed: 8);
        Assert.That(layer.Weight.ToArray(), Is.EqualTo(same.Weight.ToArray()));
        Assert.That(layer.Weight.ToArray(), Is.Not.EqualTo(other.Weight.ToArray()));
        Assert.That(layer.Bias!.ToArray(), Is.Not.EqualTo(layer.Weight.ToArray().Take(4).ToArray()));
    }

    [Test]
    public void Backward_reaches_weight_and_bias()
    {
        var layer = new Linear(2, 1, seed: 1);
        using (var tape = new Tape())
        {
            layer.Forward(Floats([1, 2, 3, 4], 2, 2)).Sum().Backward();
        }

        // d Σ(xWᵀ + b)/dW = Σ over rows of x; d/db = the number of rows.
        Assert.That(layer.Weight.Grad!.ToArray(), Is.EqualTo(new[] { 4f, 6f }));
        Assert.That(layer.Bias!.Grad!.ToArray(), Is.EqualTo(new[] { 2f }));
    }

    [Test]
    public void Functional_linear_gradient_matches_finite_differences_on_random_shapes()
    {
        Gen<(Tensor<double>[] Inputs, bool Bias)> cases =
            from rank in Gen.Choose(0, 2)
            from batch in Gen.ArrayOf(Gen.Choose(1, 3), rank)
            from inF in Gen.Choose(1, 4)
            from outF in Gen.Choose(1, 4)
            from bias in Gen.Elements(true, false)
            from x in TensorOf([.. batch, inF], Uniform(-2, 2))
            from w in TensorOf([outF, inF], Uniform(-2, 2))
            from b in TensorOf([outF], Uniform(-2, 2))
            select (bias ? new[] { x, w, b } : new[] { x, w }, bias);
        AssertGradientsForAll(cases, c => c.Inputs, c => c.Bias ? t => Functional.Linear(t[0], t[1], t[2]) : t => Functional.Linear(t[0], t[1]));
    }

    [Test]
    public void Mismatched_shapes_are_rejected_with_the_shapes()
    {
        var layer = new Linear(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.Zeros<float>(4, 5)));
        Assert.That(ex!.Message, Does.Contain("Linear").And.Contain("[4, 5]").And.Contain("[2, 3]"));
        ex = Assert.Throws<ArgumentException>(() => Functional.Linear(Tensor.Zeros<double>(4, 3), Tensor.Zeros<double>(2, 3), Tensor.Zeros<double>(3)));
        Assert.That(ex!.Message, Does.Contain("bias of shape [3]").And.Contain("[2]"));
        Assert.Throws<ArgumentException>(() => Functional.Linear(Tensor.Zeros<double>(3), Tensor.Zeros<double>(3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Linear(0, 2));
    }
}
