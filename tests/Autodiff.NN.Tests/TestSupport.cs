using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.NN.Tests;

/// <summary>Shapes of rank ≥ 1 and a gradient-check property for the NN tests (values and tensors: <see cref="Testing.Generators"/>).</summary>
internal static class TestSupport
{
    /// <summary>Central differences in double are accurate to about 1e-10: far tighter than PyTorch's defaults.</summary>
    public static readonly GradCheckOptions Tight = new() { AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-6 };

    public static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";

    public static string Shapes(IEnumerable<Tensor<double>> tensors)
        => string.Join(" ", tensors.Select(t => Format(t.ShapeArray())));

    /// <summary>
    /// For every generated case, the gradient of <paramref name="forward"/> from the tape agrees with central
    /// differences at the case's inputs; FsCheck shrinks a failure and prints its seed.
    /// </summary>
    public static void AssertGradientsForAll<TCase>(Gen<TCase> cases, Func<TCase, Tensor<double>[]> inputs, Func<TCase, Func<Tensor<double>[], Tensor<double>>> forward, int maxTest = 40)
    {
        Property property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            Tensor<double>[] x = inputs(c);
            GradCheckReport report = GradCheck.Check(forward(c), x, Tight);
            return report.Passed.Label($"inputs {Shapes(x)}: {report}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest), property);
    }

    public static Tensor<float> Floats(float[] values, params int[] shape) => Tensor.FromArray<float>(values, shape);

    public static Tensor<double> Doubles(double[] values, params int[] shape) => Tensor.FromArray<double>(values, shape);
}
