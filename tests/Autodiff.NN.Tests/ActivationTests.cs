using FsCheck;
using FsCheck.Fluent;
using static Autodiff.NN.Tests.TestSupport;
using static Autodiff.Testing.Generators;

namespace Autodiff.NN.Tests;

/// <summary>
/// One row per activation layer: the module, its functional form in double, and a generator of inputs away from
/// kinks; every row is checked for shape, for agreement of module and functional form, and for its gradient.
/// </summary>
[TestFixture]
public sealed class ActivationTests
{
    public sealed record Row(string Name, Func<Module<Tensor<float>, Tensor<float>>> Make, Func<Tensor<double>, Tensor<double>> Functional, Gen<Tensor<double>> Inputs)
    {
        public override string ToString() => Name;
    }

    private static readonly Gen<Tensor<double>> s_smooth = TensorOf(PlainShape(), Uniform(-3, 3));
    private static readonly Gen<Tensor<double>> s_awayFromZero = TensorOf(PlainShape(), AwayFromZero(0.05, 3));

    public static IEnumerable<Row> Rows =>
    [
        new("ReLU", () => new ReLU(), x => Functional.Relu(x), s_awayFromZero),
        new("LeakyReLU", () => new LeakyReLU(0.2), x => Functional.LeakyRelu(x, 0.2), s_awayFromZero),
        new("Sigmoid", () => new Sigmoid(), x => Functional.Sigmoid(x), s_smooth),
        new("Tanh", () => new Tanh(), x => Functional.Tanh(x), s_smooth),
        new("GELU", () => new GELU(), x => Functional.Gelu(x), s_smooth),
        new("Softmax", () => new Softmax(), x => Functional.Softmax(x), s_smooth),
        new("Softmax(axis: 0)", () => new Softmax(0), x => Functional.Softmax(x, 0), s_smooth),
        new("LogSoftmax", () => new LogSoftmax(), x => Functional.LogSoftmax(x), s_smooth),
    ];

    [TestCaseSource(nameof(Rows))]
    public void Output_has_the_input_shape_and_no_parameters(Row row)
    {
        Module<Tensor<float>, Tensor<float>> layer = row.Make();
        Tensor<float> y = layer.Forward(Tensor.RandomNormal<float>([2, 3, 4], seed: 1));
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(layer.NamedParameters(), Is.Empty);
    }

    [TestCaseSource(nameof(Rows))]
    public void Module_agrees_with_its_functional_form(Row row)
    {
        Tensor<double> x = Tensor.RandomNormal<double>([3, 5], seed: 2);
        Tensor<float> y = row.Make().Forward(Tensor.FromArray<float>(x.ToArray().Select(v => (float)v).ToArray(), 3, 5));
        Assert.That(y.ToArray(), Is.EqualTo(row.Functional(x).ToArray().Select(v => (float)v).ToArray()).Within(1e-6));
    }

    [TestCaseSource(nameof(Rows))]
    public void Functional_form_gradient_matches_finite_differences(Row row)
        => AssertGradientsForAll(row.Inputs, x => [x], _ => t => row.Functional(t[0]));

    [Test]
    public void Activations_take_their_closed_forms()
    {
        Tensor<float> x = Floats([-2, -0.5f, 0, 1.5f]);
        Assert.That(new ReLU().Forward(x).ToArray(), Is.EqualTo(new[] { 0, 0, 0, 1.5f }));
        Assert.That(new LeakyReLU(0.1).Forward(x).ToArray(), Is.EqualTo(new[] { -0.2f, -0.05f, 0, 1.5f }).Within(1e-7));
        Assert.That(new Sigmoid().Forward(x).ToArray(), Is.EqualTo(x.ToArray().Select(v => 1 / (1 + MathF.Exp(-v))).ToArray()).Within(1e-6));
        Assert.That(new Tanh().Forward(x).ToArray(), Is.EqualTo(x.ToArray().Select(MathF.Tanh).ToArray()).Within(1e-6));
        // GELU(1.5) = 1.5·Φ(1.5), Φ(1.5) = 0.9331927987311419.
        Assert.That(new GELU().Forward(x)[3], Is.EqualTo(1.5 * 0.9331927987311419).Within(1e-6));
        Assert.That(new GELU().Forward(x)[2], Is.Zero);
    }

    [Test]
    public void Softmax_sums_to_one_along_its_axis()
    {
        Tensor<float> x = Tensor.RandomNormal<float>([3, 4], seed: 3);
        Assert.That(new Softmax().Forward(x).Sum(1).ToArray(), Is.All.EqualTo(1f).Within(1e-6));
        Assert.That(new Softmax(axis: 0).Forward(x).Sum(0).ToArray(), Is.All.EqualTo(1f).Within(1e-6));
        Assert.That(new LogSoftmax().Forward(x).Exp().Sum(1).ToArray(), Is.All.EqualTo(1f).Within(1e-6));
    }

    [Test]
    public void LeakyReLU_rejects_a_non_finite_slope()
        => Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LeakyReLU(double.NaN));
}
