using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.NN.Tests;

/// <summary>Generators of shapes and tensors, and a gradient-check property, for the NN tests.</summary>
internal static class TestSupport
{
    /// <summary>Central differences in double are accurate to about 1e-10: far tighter than PyTorch's defaults.</summary>
    public static readonly GradCheckOptions Tight = new() { AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-6 };

    public static Gen<double> Uniform(double lo, double hi)
        => Gen.Choose(0, 1 << 30).Select(k => lo + ((hi - lo) * k / (1 << 30)));

    /// <summary>lo ≤ |x| ≤ hi with either sign: away from the kinks at 0.</summary>
    public static Gen<double> AwayFromZero(double lo, double hi)
        => Gen.Zip(Uniform(lo, hi), Gen.Elements(-1.0, 1.0), (m, s) => m * s);

    /// <summary>Rank <paramref name="minRank"/> to <paramref name="maxRank"/> (at least 1), each extent 1 to <paramref name="maxExtent"/>.</summary>
    public static Gen<int[]> Shape(int minRank = 1, int maxRank = 3, int maxExtent = 4)
        => from rank in Gen.Choose(Math.Max(1, minRank), maxRank)
           from dims in Gen.ArrayOf(Gen.Choose(1, maxExtent), rank)
           select dims;

    public static Gen<Tensor<double>> TensorOf(int[] shape, Gen<double> values)
        => Gen.ArrayOf(values, shape.Aggregate(1, (a, b) => a * b)).Select(v => Tensor.FromArray<double>(v, shape));

    public static Gen<Tensor<double>> TensorOf(Gen<int[]> shapes, Gen<double> values)
        => from s in shapes
           from t in TensorOf(s, values)
           select t;

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
