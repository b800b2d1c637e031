namespace Autodiff.NN.Tests;

/// <summary>Sequential: children named by index, parameters in order, the composition of the forward passes.</summary>
[TestFixture]
public sealed class SequentialTests
{
    private static Sequential Mlp() => new(new Linear(3, 4, seed: 1), new ReLU(), new Linear(4, 2, seed: 2));

    [Test]
    public void Parameters_are_named_by_the_index_of_their_module()
    {
        Sequential model = Mlp();
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
        Assert.That(model.Parameters(), Has.Count.EqualTo(4));
        Assert.That(model.Parameters().Sum(p => p.Size), Is.EqualTo((3 * 4) + 4 + (4 * 2) + 2));
        Assert.That(model.NamedChildren().Select(c => c.Name), Is.EqualTo(new[] { "0", "1", "2" }));
    }

    [Test]
    public void Nested_sequentials_give_dotted_paths()
    {
        var model = new Sequential(new Linear(2, 2, seed: 1), new Sequential(new Tanh(), new Linear(2, 1, seed: 2)));
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias", "1.1.weight", "1.1.bias" }));
    }

    [Test]
    public void Forward_applies_the_modules_in_order()
    {
        Sequential model = Mlp();
        Tensor<float> x = Tensor.RandomNormal<float>([5, 3], seed: 3);
        Tensor<float> expected = model[2].Forward(model[1].Forward(model[0].Forward(x)));
        Tensor<float> y = model.Forward(x);
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 5, 2 }));
        Assert.That(y.ToArray(), Is.EqualTo(expected.ToArray()));
    }

    [Test]
    public void Add_appends_and_chains()
    {
        var model = new Sequential().Add(new Linear(2, 3, seed: 1)).Add(new Sigmoid());
        Assert.That(model.Count, Is.EqualTo(2));
        Assert.That(model.Forward(Tensor.Zeros<float>(1, 2)).ShapeArray(), Is.EqualTo(new[] { 1, 3 }));
        Assert.That(new Sequential().Forward(Tensor.Ones<float>(2)).ToArray(), Is.EqualTo(new[] { 1f, 1f }));
        Assert.That(model.ToString(), Does.Contain("(0): Linear(in: 2, out: 3, bias: True)").And.Contain("(1): Sigmoid()"));
    }
}
