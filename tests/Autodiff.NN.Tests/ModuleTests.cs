using static Autodiff.NN.Tests.TestSupport;

namespace Autodiff.NN.Tests;

/// <summary>Module: parameter discovery and names, training mode, ZeroGrad, state dicts and their strict loading.</summary>
[TestFixture]
public sealed class ModuleTests
{
    /// <summary>A module with a parameter of its own and two named children, as a user would write one.</summary>
    private sealed class TwoLayer : Module<Tensor<float>, Tensor<float>>
    {
        public TwoLayer(int seed)
        {
            Fc1 = new Linear(2, 3, seed: seed);
            Fc2 = new Linear(3, 1, seed: seed + 1);
        }

        public Tensor<float> Scale { get; } = Tensor.Ones<float>(1).RequiresGrad();

        public Linear Fc1 { get; }

        public Linear Fc2 { get; }

        public Dropout Drop { get; } = new(0.5, seed: 1);

        protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters() => [("scale", Scale)];

        protected override IEnumerable<(string Name, Module Module)> ChildModules() => [("fc1", Fc1), ("drop", Drop), ("fc2", Fc2)];

        public override Tensor<float> Forward(Tensor<float> input) => Fc2.Forward(Drop.Forward(Fc1.Forward(input).Tanh())).Mul(Scale);
    }

    /// <summary>A module that lists whatever it is given, to provoke the error paths.</summary>
    private sealed class Listing((string, Tensor<float>)[] parameters, (string, Module)[] children) : Module
    {
        protected override IEnumerable<(string Name, Tensor<float> Parameter)> OwnParameters() => parameters;

        protected override IEnumerable<(string Name, Module Module)> ChildModules() => children;
    }

    [Test]
    public void Named_parameters_are_own_first_then_each_child_in_order_with_dotted_names()
    {
        var model = new TwoLayer(seed: 1);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias" }));
        Assert.That(model.Parameters(), Is.EqualTo(new[] { model.Scale, model.Fc1.Weight, model.Fc1.Bias, model.Fc2.Weight, model.Fc2.Bias }));
        Assert.That(model.NamedModules().Select(m => m.Name), Is.EqualTo(new[] { "", "fc1", "drop", "fc2" }));
    }

    [Test]
    public void A_shared_module_is_listed_once_under_its_first_name()
    {
        var shared = new Linear(2, 2, seed: 1);
        var model = new Sequential(shared, new ReLU(), shared);
        Assert.That(model.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "0.weight", "0.bias" }));
    }

    [Test]
    public void Train_and_Eval_reach_every_descendant()
    {
        var inner = new Dropout(0.5);
        var model = new Sequential(new Linear(2, 2), new Sequential(inner));
        Assert.That(model.IsTraining && inner.IsTraining, Is.True, "modules start in training mode");
        model.Eval();
        Assert.That(model.NamedModules().Select(m => m.Module.IsTraining), Is.All.False);
        model.Train();
        Assert.That(model.NamedModules().Select(m => m.Module.IsTraining), Is.All.True);
        model.Train(false);
        Assert.That(inner.IsTraining, Is.False);
    }

    [Test]
    public void ZeroGrad_zeroes_every_parameter_gradient()
    {
        var model = new TwoLayer(seed: 2);
        model.Eval();
        using (var tape = new Tape())
        {
            model.Forward(Floats([1, 2, 3, 4], 2, 2)).Sum().Backward();
        }

        Assert.That(model.Parameters().All(p => p.Grad is not null && p.Grad.ToArray().Any(g => g != 0)), Is.True);
        model.ZeroGrad();
        Assert.That(model.Parameters().SelectMany(p => p.Grad!.ToArray()), Is.All.EqualTo(0f));
    }

    [Test]
    public void State_dict_round_trip_restores_the_values_in_place()
    {
        var model = new TwoLayer(seed: 3);
        model.Eval();
        Tensor<float> x = Floats([0.5f, -1, 2, 0.25f], 2, 2);
        float[] before = model.Forward(x).ToArray();
        Tensor<float> weight = model.Fc1.Weight;

        OrderedDictionary<string, Tensor<float>> state = model.StateDict();
        Assert.That(state.Keys, Is.EqualTo(model.NamedParameters().Select(p => p.Name)));
        weight.MutableSpan().Fill(7);
        Assert.That(state["fc1.weight"].ToArray(), Is.Not.All.EqualTo(7f), "the state dict is a snapshot");

        LoadStateDictResult result = model.LoadStateDict(state);
        Assert.That(result.MissingKeys, Is.Empty);
        Assert.That(result.UnexpectedKeys, Is.Empty);
        Assert.That(model.Fc1.Weight, Is.SameAs(weight), "loaded in place, so optimisers keep their parameters");
        Assert.That(model.Forward(x).ToArray(), Is.EqualTo(before));

        var copy = new TwoLayer(seed: 99);
        copy.Eval();
        copy.LoadStateDict(state);
        Assert.That(copy.Forward(x).ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void Strict_load_names_missing_and_unexpected_keys_with_shapes_and_copies_nothing()
    {
        var model = new Sequential(new Linear(2, 3, seed: 1));
        OrderedDictionary<string, Tensor<float>> state = new Sequential(new Linear(2, 3, seed: 2)).StateDict();
        state.Remove("0.bias");
        state.Add("extra", Tensor.Zeros<float>(2));
        float[] weight = model.Parameters()[0].ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.That(ex!.Message, Does.Contain("missing keys: 0.bias [3]").And.Contain("unexpected keys: extra [2]"));
        Assert.That(model.Parameters()[0].ToArray(), Is.EqualTo(weight), "a rejected dict changes nothing");
    }

    [Test]
    public void A_shape_mismatch_is_an_error_even_when_not_strict()
    {
        var model = new Sequential(new Linear(2, 3, seed: 1));
        var state = new Dictionary<string, Tensor<float>> { ["0.weight"] = Tensor.Zeros<float>(2, 3), ["0.bias"] = Tensor.Zeros<float>(3) };
        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state, strict: false));
        Assert.That(ex!.Message, Does.Contain("0.weight: model [3, 2], state dict [2, 3]"));
    }

    [Test]
    public void Non_strict_load_copies_what_matches_and_reports_the_rest()
    {
        var model = new Sequential(new Linear(2, 3, seed: 1));
        var state = new Dictionary<string, Tensor<float>> { ["0.weight"] = Tensor.Ones<float>(3, 2), ["1.weight"] = Tensor.Zeros<float>(1) };
        float[] bias = model.Parameters()[1].ToArray();

        LoadStateDictResult result = model.LoadStateDict(state, strict: false);
        Assert.That(result.MissingKeys, Is.EqualTo(new[] { "0.bias" }));
        Assert.That(result.UnexpectedKeys, Is.EqualTo(new[] { "1.weight" }));
        Assert.That(model.Parameters()[0].ToArray(), Is.All.EqualTo(1f));
        Assert.That(model.Parameters()[1].ToArray(), Is.EqualTo(bias));
    }

    [Test]
    public void Malformed_or_duplicate_names_are_rejected()
    {
        Tensor<float> p = Tensor.Zeros<float>(1);
        Assert.Throws<InvalidOperationException>(() => new Listing([("a.b", p)], []).NamedParameters());
        Assert.Throws<InvalidOperationException>(() => new Listing([("", p)], []).NamedParameters());
        var ex = Assert.Throws<InvalidOperationException>(() => new Listing([("w", p), ("w", Tensor.Zeros<float>(1))], []).NamedParameters());
        Assert.That(ex!.Message, Does.Contain("'w'"));
    }
}
