using FsCheck;
using FsCheck.Fluent;
using static Autodiff.Testing.Generators;

namespace Autodiff.Tests.Tensors;

/// <summary>
/// Second derivatives: for every op of the op table, the Hessian–vector product through a recorded sweep against
/// central differences of the gradient; Hessians and Jacobians of functions with known closed forms.
/// </summary>
public sealed class HigherOrderTests
{
    /// <summary>Ops whose rules cannot be recorded, with the reason.</summary>
    private static readonly Dictionary<string, string> s_firstOrderOnly = new()
    {
        ["FromScalars"] = "it crosses into scalar entries, whose partial derivatives are numbers",
    };

    public static IEnumerable<TensorOpCase> Cases => TensorOpTable.All.Where(c => !s_firstOrderOnly.ContainsKey(c.Name));

    [TestCaseSource(nameof(Cases))]
    public void Hessian_vector_product_matches_differences_of_the_gradient(TensorOpCase op)
    {
        // L(x) = Σ w ⊙ f(x) for fixed random weights w; H·v from reverse-over-reverse against
        // (∇L(x + εv) − ∇L(x − εv)) / 2ε, both in double.
        var cases = from inputs in op.Inputs
                    from flat in Gen.ArrayOf(Uniform(-1, 1), inputs.Sum(x => x.Size))
                    from seed in Gen.Choose(0, 1000)
                    select (inputs, Split(flat, inputs), seed);
        Property property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (Tensor<double>[] xs, Tensor<double>[] vs, int seed) = c;
            Tensor<double>? weights = null;
            Tensor<double> Loss(Tensor<double>[] inputs)
            {
                Tensor<double> y = op.Forward(inputs);
                weights ??= Tensor.RandomUniform<double>(y.ShapeArray(), seed: seed, low: -1, high: 1);
                return y.Mul(weights).Sum();
            }

            Tensor<double>[] Gradient(Tensor<double>[] at) => Autograd.ValueAndGrad(Loss, at).Grads;

            Tensor<double>[] hvp;
            using (var tape = new Tape())
            {
                Tensor<double>[] inputs = xs.Select(x => x.Detach().RequiresGrad()).ToArray();
                Tensor<double>[] g = tape.Gradient(Loss(inputs), inputs, createGraph: true);
                Tensor<double> gv = Tensor.Scalar(0.0);
                for (int i = 0; i < g.Length; i++)
                {
                    gv = gv.Add(g[i].Mul(vs[i]).Sum());
                }

                hvp = gv.GradRequired ? tape.Gradient(gv, inputs) : inputs.Select(Tensor.ZerosLike).ToArray();
            }

            const double Eps = 1e-5;
            Tensor<double>[] up = Gradient(xs.Select((x, i) => x.Add(vs[i].Mul(Eps))).ToArray());
            Tensor<double>[] down = Gradient(xs.Select((x, i) => x.Sub(vs[i].Mul(Eps))).ToArray());
            string failure = "";
            for (int i = 0; i < xs.Length && failure.Length == 0; i++)
            {
                double[] analytic = hvp[i].ToArray(), upper = up[i].ToArray(), lower = down[i].ToArray();
                for (int j = 0; j < analytic.Length; j++)
                {
                    double numeric = (upper[j] - lower[j]) / (2 * Eps);
                    if (Math.Abs(analytic[j] - numeric) > 1e-6 + (1e-5 * Math.Abs(numeric)))
                    {
                        failure = $"input {i} element {j}: H·v = {analytic[j]:R}, differences {numeric:R}";
                        break;
                    }
                }
            }

            string shapes = string.Join(" ", xs.Select(t => "[" + string.Join(",", t.ShapeArray()) + "]"));
            return (failure.Length == 0).Label($"{op.Name} on {shapes}: {failure}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property);
    }

    [Test]
    public void Hessian_of_a_quadratic_form_is_A_plus_A_transposed()
    {
        Tensor<double> a = Tensor.RandomNormal<double>([4, 4], seed: 11);
        Tensor<double> x = Tensor.RandomNormal<double>([4], seed: 12);
        Tensor<double> h = Autograd.Hessian(t => t.MatMul(a).MatMul(t), x);
        Assert.That(h.ShapeArray(), Is.EqualTo(new[] { 4, 4 }));
        Assert.That(h.ToArray(), Is.EqualTo(a.Add(a.Transpose()).ToArray()).Within(1e-12));
    }

    [TestCase(1.0, 1.0)]
    [TestCase(-1.2, 1.0)]
    [TestCase(0.5, -0.3)]
    public void Hessian_of_Rosenbrock_matches_its_closed_form(double x, double y)
    {
        // f = (1 − x)² + 100 (y − x²)²: fxx = 2 − 400(y − x²) + 800x², fxy = −400x, fyy = 200.
        Tensor<double> h = Autograd.Hessian(Rosenbrock, Tensor.FromArray<double>([x, y], [2]));
        double fxx = 2 - (400 * (y - (x * x))) + (800 * x * x), fxy = -400 * x;
        Assert.That(h.ToArray(), Is.EqualTo(new[] { fxx, fxy, fxy, 200.0 }).Within(1e-10));
    }

    [Test]
    public void Hessian_of_a_small_network_is_symmetric_and_agrees_with_Hessian_vector_products()
    {
        Tensor<double> w = Tensor.RandomNormal<double>([3, 4], seed: 13);
        Tensor<double> data = Tensor.RandomNormal<double>([5, 3], seed: 14);
        Tensor<double> Loss(Tensor<double> flat) => Tensor.CrossEntropy(data.MatMul(flat.Reshape([3, 4])).Gelu(), [0, 1, 2, 3, 1]).Mean();
        Tensor<double> flat = w.Reshape([12]);
        Tensor<double> h = Autograd.Hessian(Loss, flat);
        double[] hs = h.ToArray();
        for (int i = 0; i < 12; i++)
        {
            for (int j = 0; j < i; j++)
            {
                Assert.That(hs[(i * 12) + j], Is.EqualTo(hs[(j * 12) + i]).Within(1e-12), $"H[{i},{j}]");
            }
        }

        Tensor<double> v = Tensor.RandomNormal<double>([12], seed: 15);
        Assert.That(Autograd.HessianVectorProduct(Loss, flat, v).ToArray(), Is.EqualTo(h.MatMul(v).ToArray()).Within(1e-12));
    }

    [Test]
    public void Jvp_matches_differences_of_the_function()
    {
        Tensor<double> w = Tensor.RandomNormal<double>([6, 3], seed: 16);
        Tensor<double> F(Tensor<double> t) => w.MatMul(t).Tanh().Mul(t.Sum().Sqrt());
        Tensor<double> x = Tensor.FromArray<double>([0.4, 0.9, 0.3], [3]);
        Tensor<double> v = Tensor.FromArray<double>([1.0, -0.5, 2.0], [3]);
        (Tensor<double> value, Tensor<double> jvp) = Autograd.Jvp(F, x, v);
        const double Eps = 1e-6;
        Tensor<double> numeric = F(x.Add(v.Mul(Eps))).Sub(F(x.Sub(v.Mul(Eps)))).Mul(1 / (2 * Eps));
        Assert.That(value.ToArray(), Is.EqualTo(F(x).ToArray()).Within(1e-15));
        Assert.That(jvp.ToArray(), Is.EqualTo(numeric.ToArray()).Within(1e-8));
    }

    [TestCase(2, 7)]
    [TestCase(7, 2)]
    public void Forward_and_reverse_Jacobians_agree(int inputs, int outputs)
    {
        Tensor<double> w = Tensor.RandomNormal<double>([outputs, inputs], seed: 17);
        Tensor<double> F(Tensor<double> t) => w.MatMul(t.Sqrt()).Sigmoid().Mul(t.Sum());
        Tensor<double> x = Tensor.RandomUniform<double>([inputs], seed: 18, low: 0.5, high: 2);
        Tensor<double> reverse = Autograd.Jacobian(F, x, JacobianMode.Reverse);
        Tensor<double> forward = Autograd.Jacobian(F, x, JacobianMode.Forward);
        Assert.That(forward.ShapeArray(), Is.EqualTo(new[] { outputs, inputs }));
        Assert.That(forward.ToArray(), Is.EqualTo(reverse.ToArray()).Within(1e-13));
        Assert.That(Autograd.Jacobian(F, x).ToArray(), Is.EqualTo(reverse.ToArray()).Within(1e-13));
    }

    [Test]
    public void Misuse_is_reported_clearly()
    {
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0], [2]);
        Assert.That(Assert.Throws<ArgumentException>(() => Autograd.Hessian(t => t.Mul(2.0), x))!.Message, Does.Contain("Hessian").And.Contain("one element"));
        Assert.That(Assert.Throws<ArgumentException>(() => Autograd.Jvp(t => t, x, Tensor.Zeros<double>(3)))!.Message, Does.Contain("Jvp").And.Contain("[3]").And.Contain("[2]"));
        Assert.That(Autograd.HessianVectorProduct(t => t.Sum(), x, x).ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }), "a linear function has no curvature");
    }

    /// <summary>Cuts <paramref name="flat"/> into tensors shaped like <paramref name="like"/>.</summary>
    private static Tensor<double>[] Split(double[] flat, Tensor<double>[] like)
    {
        var parts = new Tensor<double>[like.Length];
        int offset = 0;
        for (int i = 0; i < like.Length; i++)
        {
            parts[i] = Tensor.FromArray<double>(flat[offset..(offset + like[i].Size)], [like[i].Size]).Reshape(like[i].ShapeArray());
            offset += like[i].Size;
        }

        return parts;
    }

    internal static Tensor<double> Rosenbrock(Tensor<double> p)
    {
        Tensor<double> x = p.Narrow(0, 0, 1), y = p.Narrow(0, 1, 1);
        return x.RSub(1.0).Pow(2.0).Add(y.Sub(x.Mul(x)).Pow(2.0).Mul(100.0)).Sum();
    }
}
