using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Tensors;

/// <summary>
/// Every fused eager kernel agrees with the composed rule it stands in for: each op of the op table is swept with
/// fusion on and off (<see cref="Fusion.Off"/>), through <c>tape.Gradient</c> and through <c>Backward()</c> into
/// <c>.Grad</c> (where the fused products write straight into the leaf's buffer), and the gradients compared.
/// </summary>
[TestFixture]
public sealed class FusionTests
{
    public static IEnumerable<TensorOpCase> Cases => TensorOpTable.All;

    [TestCaseSource(nameof(Cases))]
    public void Fused_and_composed_rules_give_the_same_gradient(TensorOpCase op)
    {
        Property property = Prop.ForAll(op.Inputs.ToArbitrary(), inputs =>
        {
            (double[][] fusedGradient, double[][] fusedGrad) = Sweep(op, inputs, fused: true);
            (double[][] composedGradient, double[][] composedGrad) = Sweep(op, inputs, fused: false);
            string shapes = string.Join(" ", inputs.Select(t => "[" + string.Join(",", t.ShapeArray()) + "]"));
            return (Close(fusedGradient, composedGradient) && Close(fusedGrad, composedGrad)).Label($"{op.Name} on {shapes}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property);
    }

    /// <summary>The gradients of ⟨seed, f(x)⟩ for a fixed, non-constant seed: by tape.Gradient, and by Backward() into .Grad.</summary>
    private static (double[][] Gradient, double[][] Grad) Sweep(TensorOpCase op, Tensor<double>[] inputs, bool fused)
    {
        using Fusion.OffScope scope = fused ? default : Fusion.Off();
        Tensor<double>[] xs = inputs.Select(x => x.Clone().RequiresGrad()).ToArray();
        double[][] gradient;
        using (var tape = new Tape())
        {
            Tensor<double> y = op.Forward(xs);
            Tensor<double> seed = Seed(y);
            gradient = tape.Gradient(y, xs, seed).Select(g => g.ToArray()).ToArray();
        }

        Tensor<double>[] leaves = inputs.Select(x => x.Clone().RequiresGrad()).ToArray();
        using (var tape = new Tape())
        {
            Tensor<double> y = op.Forward(leaves);
            y.Backward(Seed(y));
        }

        return (gradient, leaves.Select(x => x.Grad?.ToArray() ?? new double[x.Size]).ToArray());
    }

    private static Tensor<double> Seed(Tensor<double> y)
        => Tensor.FromArray<double>(Enumerable.Range(0, y.Size).Select(i => Math.Cos(i + 0.5)).ToArray()).Reshape(y.ShapeArray());

    private static bool Close(double[][] a, double[][] b)
        => a.Length == b.Length && a.Zip(b).All(p => p.First.Length == p.Second.Length
            && p.First.Zip(p.Second).All(q => Math.Abs(q.First - q.Second) <= 1e-12 * (1 + Math.Abs(q.First))));
}
