using FsCheck;
using FsCheck.Fluent;
using static Autodiff.Testing.Generators;

namespace Autodiff.Tests.Tensors;

/// <summary>
/// A plain <c>Backward()</c> writes the gradients of weights straight into their <c>.Grad</c> (overwriting after
/// <c>ZeroGrad</c>, adding otherwise); <c>tape.Gradient</c> takes the ordinary path. These properties pin the
/// two to each other for every op with that shortcut, with the weight used once or twice.
/// </summary>
public sealed class LeafGradientTests
{
    /// <summary>The ops that write a leaf's gradient directly, as (name, y = f(x, w, b)).</summary>
    private static readonly (string Name, Func<Tensor<double>, Tensor<double>, Tensor<double>, Tensor<double>> F)[] s_ops =
    [
        ("Linear", (x, w, b) => Tensor.Linear(x, w, b)),
        ("Linear without bias", (x, w, _) => Tensor.Linear(x, w)),
        ("MatMulTransposed", (x, w, b) => x.MatMulTransposed(w).Add(b)),
        ("MatMul", (x, w, b) => x.MatMul(w.Transpose()).Add(b)),
        ("batched MatMul with a shared weight", (x, w, b) => Tensor.Stack([x, x.Mul(0.5)]).MatMul(w.Transpose()).Add(b)),
        ("weight as the left operand", (x, w, b) => w.MatMul(x.Transpose()).Transpose().Add(b)),
    ];

    private static Gen<(int Op, Tensor<double> X, Tensor<double> W, Tensor<double> B, bool Twice)> Cases()
        => from op in Gen.Choose(0, s_ops.Length - 1)
           from m in Gen.Choose(1, 5)
           from k in Gen.Choose(1, 5)
           from n in Gen.Choose(1, 5)
           from x in TensorOf([m, k], Uniform(-2, 2))
           from w in TensorOf([n, k], Uniform(-2, 2))
           from b in TensorOf([n], Uniform(-2, 2))
           from twice in Gen.Elements(false, true)
           select (op, x, w, b, twice);

    [Test]
    public void Backward_into_grad_agrees_with_tape_gradient_after_ZeroGrad_and_when_accumulating()
    {
        var property = Prop.ForAll(Cases().ToArbitrary(), c =>
        {
            var f = s_ops[c.Op].F;
            Tensor<double> x = c.X.RequiresGrad(), w = c.W.RequiresGrad(), b = c.B.RequiresGrad();
            Tensor<double> Loss()
            {
                Tensor<double> y = f(x, w, b);
                Tensor<double> loss = y.Mul(y.Detach().Sin().Add(1.5)).Sum();
                return c.Twice ? loss.Add(f(x.Mul(-1.0), w, b).Sum()) : loss;
            }

            using var tape = new Tape();
            Tensor<double>[] expected = tape.Gradient(Loss(), [x, w, b]);
            double[][] once = expected.Select(t => t.ToArray()).ToArray();

            string failure = "";
            void Expect(string when, double factor)
            {
                Tensor<double>?[] grads = [x.Grad, w.Grad, b.Grad];
                for (int i = 0; i < grads.Length; i++)
                {
                    double[] actual = grads[i]?.ToArray() ?? new double[once[i].Length]; // an unused input has no .Grad: zeros
                    for (int j = 0; j < once[i].Length; j++)
                    {
                        if (actual.Length != once[i].Length || Math.Abs(actual[j] - (factor * once[i][j])) > 1e-12 * (1 + Math.Abs(once[i][j])))
                        {
                            failure += $"{s_ops[c.Op].Name}, {when}: gradient {i} element {j} is {(actual.Length > j ? actual[j] : double.NaN)}, expected {factor * once[i][j]}; ";
                            return;
                        }
                    }
                }
            }

            tape.Reset();
            Loss().Backward();
            Expect("first backward (new .Grad)", 1);
            tape.Reset();
            Loss().Backward();
            Expect("second backward (accumulating)", 2);
            x.ZeroGrad();
            w.ZeroGrad();
            b.ZeroGrad();
            tape.Reset();
            Loss().Backward();
            Expect("backward after ZeroGrad (overwriting)", 1);
            return failure.Length == 0 ? true.Label("ok") : false.Label(failure);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Test]
    public void Reading_a_zeroed_grad_before_the_next_backward_gives_zeros()
    {
        Tensor<double> w = Tensor.FromArray<double>([1.0, 2.0], [2]).RequiresGrad();
        using (new Tape())
        {
            w.Mul(w).Sum().Backward();
        }

        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 2.0, 4.0 }));
        w.ZeroGrad();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new[] { 0.0, 0.0 }));
    }
}
