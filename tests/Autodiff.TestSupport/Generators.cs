using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Testing;

/// <summary>FsCheck generators for values, shapes (size-1 dimensions included), broadcast-compatible shape pairs and tensors.</summary>
public static class Generators
{
    /// <summary>Uniform doubles in [lo, hi] with 2³⁰ steps: finer than any tolerance the tests use.</summary>
    public static Gen<double> Uniform(double lo, double hi)
        => Gen.Choose(0, 1 << 30).Select(k => lo + ((hi - lo) * k / (1 << 30)));

    /// <summary>lo ≤ |x| ≤ hi with either sign: away from kinks and poles at 0.</summary>
    public static Gen<double> AwayFromZero(double lo, double hi)
        => Gen.Zip(Uniform(lo, hi), Gen.Elements(-1.0, 1.0), (m, s) => m * s);

    /// <summary>Rank 0 to <paramref name="maxRank"/>, each extent 1 to 4 (1 often, so broadcasting corners come up).</summary>
    public static Gen<int[]> Shape(int minRank = 0, int maxRank = 3)
        => from rank in Gen.Choose(minRank, maxRank)
           from dims in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(1)), (3, Gen.Choose(2, 4))), rank)
           select dims;

    /// <summary>Rank <paramref name="minRank"/> to <paramref name="maxRank"/> (at least 1), each extent uniform in 1 to <paramref name="maxExtent"/>.</summary>
    public static Gen<int[]> PlainShape(int minRank = 1, int maxRank = 3, int maxExtent = 4)
        => from rank in Gen.Choose(Math.Max(1, minRank), maxRank)
           from dims in Gen.ArrayOf(Gen.Choose(1, maxExtent), rank)
           select dims;

    /// <summary>Two shapes that broadcast together: one is the other with leading axes dropped and some extents set to 1.</summary>
    public static Gen<(int[] A, int[] B)> BroadcastPair()
        => from full in Shape()
           from drop in Gen.Choose(0, full.Length)
           from ones in Gen.ArrayOf(Gen.Elements(false, false, true), full.Length)
           from swap in Gen.Elements(false, true)
           let small = full.Skip(drop).Select((d, i) => ones[i + drop] ? 1 : d).ToArray()
           select swap ? (small, full) : (full, small);

    /// <summary>A tensor of <paramref name="shape"/> (rank 0 included) with values from <paramref name="values"/>.</summary>
    public static Gen<Tensor<double>> TensorOf(int[] shape, Gen<double> values)
        => Gen.ArrayOf(values, shape.Aggregate(1, (a, b) => a * b)).Select(v => Tensor.FromArray<double>(v, shape).ReshapeToRank(shape));

    /// <summary>A tensor of a generated shape.</summary>
    public static Gen<Tensor<double>> TensorOf(Gen<int[]> shapes, Gen<double> values)
        => from s in shapes
           from t in TensorOf(s, values)
           select t;

    /// <summary>One generated tensor as the single input of an op.</summary>
    public static Gen<Tensor<double>[]> One(Gen<Tensor<double>> t) => t.Select(x => new[] { x });

    /// <summary>Two tensors of broadcast-compatible shapes.</summary>
    public static Gen<Tensor<double>[]> BroadcastTwo(Gen<double> a, Gen<double> b)
        => from p in BroadcastPair()
           from x in TensorOf(p.A, a)
           from y in TensorOf(p.B, b)
           select new[] { x, y };

    /// <summary>FromArray makes a 1-D tensor for an empty shape; this restores rank 0.</summary>
    private static Tensor<double> ReshapeToRank(this Tensor<double> t, int[] shape) => shape.Length == 0 ? t.Reshape([]) : t;
}
