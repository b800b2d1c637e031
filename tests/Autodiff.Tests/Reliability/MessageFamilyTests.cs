using System.Reflection;
using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Reliability;

/// <summary>
/// The message family: every public tensor op that validates an axis, a pair of shapes that must broadcast, or an
/// index is called with random bad input of that kind, and the message must name the op the user called (not an
/// internal one it is built from), the user's own values and shapes, and the user's line. Reflection finds the ops that
/// take an axis or a second tensor, so that a new op without a case here fails the completeness tests.
/// </summary>
[TestFixture]
public sealed class MessageFamilyTests
{
    /// <summary>An op that takes an axis: how to call it on x with that axis, and whether the axis is inserted (result rank + 1).</summary>
    public sealed record AxisOp(string Op, Action<Tensor<double>, int> Call, bool Insertion = false)
    {
        public override string ToString() => Op;
    }

    /// <summary>An op that broadcasts two operands: how to call it on a and b.</summary>
    public sealed record BinaryOp(string Op, Action<Tensor<double>, Tensor<double>> Call)
    {
        public override string ToString() => Op;
    }

    /// <summary>An op that takes indices into an axis of size n: how to call it with one bad index.</summary>
    public sealed record IndexOp(string Op, Action<int, int> Call)
    {
        public override string ToString() => Op;
    }

    public static IEnumerable<AxisOp> AxisOps()
    {
        yield return new("Sum", (x, a) => x.Sum(a));
        yield return new("Sum", (x, a) => x.Sum([a]));
        yield return new("Mean", (x, a) => x.Mean(a));
        yield return new("Mean", (x, a) => x.Mean([a], keepDim: true));
        yield return new("Max", (x, a) => x.Max(a));
        yield return new("Max", (x, a) => x.Max([a]));
        yield return new("Min", (x, a) => x.Min(a));
        yield return new("Min", (x, a) => x.Min([a]));
        yield return new("LogSumExp", (x, a) => x.LogSumExp([a]));
        yield return new("Var", (x, a) => x.Var([a]));
        yield return new("Std", (x, a) => x.Std([a]));
        yield return new("Softmax", (x, a) => x.Softmax(a));
        yield return new("LogSoftmax", (x, a) => x.LogSoftmax(a));
        yield return new("ArgMax", (x, a) => x.ArgMax(a));
        yield return new("Squeeze", (x, a) => x.Squeeze(a));
        yield return new("Unsqueeze", (x, a) => x.Unsqueeze(a), Insertion: true);
        yield return new("Transpose", (x, a) => x.Transpose(a, 0));
        yield return new("Transpose", (x, a) => x.Transpose(0, a));
        yield return new("Narrow", (x, a) => x.Narrow(a, 0, 1));
        yield return new("Slice", (x, a) => x.Slice(a, 0, 1));
        yield return new("Select", (x, a) => x.Select(a, 0));
        yield return new("Split", (x, a) => x.Split(1, a));
        yield return new("Chunk", (x, a) => x.Chunk(1, a));
        yield return new("IndexSelect", (x, a) => x.IndexSelect(a, [0]));
        yield return new("Gather", (x, a) => x.Gather(a, new int[x.Size]));
        yield return new("Flatten", (x, a) => x.Flatten(a, -1));
        yield return new("Flatten", (x, a) => x.Flatten(0, a));
        yield return new("Concat", (x, a) => Tensor.Concat([x, x], a));
        yield return new("Stack", (x, a) => Tensor.Stack([x, x], a), Insertion: true);
    }

    public static IEnumerable<BinaryOp> BinaryOps()
    {
        yield return new("Add", (a, b) => a.Add(b));
        yield return new("Sub", (a, b) => a.Sub(b));
        yield return new("Mul", (a, b) => a.Mul(b));
        yield return new("Div", (a, b) => a.Div(b));
        yield return new("Pow", (a, b) => a.Pow(b));
        yield return new("Maximum", (a, b) => a.Maximum(b));
        yield return new("Minimum", (a, b) => a.Minimum(b));
        yield return new("Eq", (a, b) => a.Eq(b));
        yield return new("Ge", (a, b) => a.Ge(b));
        yield return new("Gt", (a, b) => a.Gt(b));
        yield return new("Le", (a, b) => a.Le(b));
        yield return new("Lt", (a, b) => a.Lt(b));
        yield return new("MaskedFill", (a, b) => a.MaskedFill(b, 0.0));
        yield return new("Where", (a, b) => Tensor.Where(a, b, b));
        yield return new("Where", (a, b) => Tensor.Where(Tensor.Ones<double>(), a, b));
    }

    public static IEnumerable<IndexOp> IndexOps()
    {
        yield return new("IndexSelect", (n, bad) => Tensor.Ones<double>(2, n).IndexSelect(1, [0, bad]));
        yield return new("Gather", (n, bad) => Tensor.Ones<double>(2, n).Gather(1, [0, bad]));
        yield return new("Select", (n, bad) => Tensor.Ones<double>(2, n).Select(1, bad < 0 ? bad - n : bad));   // −n … −1 count from the end, as in PyTorch
        yield return new("Embedding", (n, bad) => Tensor.Embedding(Tensor.Ones<double>(n, 3), [0, bad]));
        yield return new("CrossEntropy", (n, bad) => Tensor.CrossEntropy(Tensor.Ones<double>(2, n), [0, bad]));
        yield return new("CrossEntropyMean", (n, bad) => Tensor.CrossEntropyMean(Tensor.Ones<double>(2, n), [0, bad]));
    }

    private static Gen<int[]> Shape(int minRank = 1, int maxRank = 4) => Gen.Choose(minRank, maxRank).SelectMany(r => Gen.ArrayOf(Gen.Choose(1, 3), r));

    /// <summary>Runs <paramref name="call"/>; it must throw an ArgumentException whose message says all of <paramref name="says"/>.</summary>
    private static void Says(Action call, params string[] says)
    {
        ArgumentException? thrown = null;
        try
        {
            call();
        }
        catch (ArgumentException e)
        {
            thrown = e;
        }

        Assert.That(thrown, Is.Not.Null, "nothing was thrown");
        foreach (string part in says)
        {
            Assert.That(thrown!.Message, Does.Contain(part));
        }
    }

    [TestCaseSource(nameof(AxisOps))]
    public void An_axis_out_of_range_is_named_with_the_users_shape_op_and_line(AxisOp op)
    {
        Gen<(int[] Shape, int Axis)> cases =
            from shape in Shape()
            let rank = shape.Length + (op.Insertion ? 1 : 0)
            from axis in Gen.OneOf(Gen.Choose(rank, rank + 3), Gen.Choose(-rank - 3, -rank - 1))
            select (shape, axis);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(cases.ToArbitrary(), c =>
            Says(() => op.Call(Tensor.Ones<double>(c.Shape), c.Axis),
                $"{op.Op} at MessageFamilyTests.cs:", $"axis {c.Axis} ", Tensor.FormatShape(c.Shape), "out of range", "use an axis in")));
    }

    [TestCaseSource(nameof(BinaryOps))]
    public void Shapes_that_do_not_broadcast_are_named_with_the_op_and_line(BinaryOp op)
    {
        // b is a with one extent changed to another that is not 1: the pair cannot broadcast.
        Gen<(int[] A, int[] B)> cases =
            from a in Gen.Choose(1, 3).SelectMany(r => Gen.ArrayOf(Gen.Choose(2, 4), r))
            from d in Gen.Choose(0, a.Length - 1)
            from delta in Gen.Choose(1, 2)
            select (a, a.Select((e, i) => i == d ? e + delta : e).ToArray());
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(cases.ToArbitrary(), c =>
            Says(() => op.Call(Tensor.Ones<double>(c.A), Tensor.Ones<double>(c.B)),
                $"{op.Op} at MessageFamilyTests.cs:", Tensor.FormatShape(c.A), Tensor.FormatShape(c.B), "do not broadcast")));
    }

    [TestCaseSource(nameof(IndexOps))]
    public void An_index_out_of_range_is_named_with_the_size_op_and_line(IndexOp op)
    {
        Gen<(int N, int Bad)> cases =
            from n in Gen.Choose(1, 5)
            from bad in Gen.OneOf(Gen.Choose(n, n + 5), Gen.Choose(-6, -1))
            select (n, bad);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(cases.ToArbitrary(), c =>
            Says(() => op.Call(c.N, c.Bad), $"{op.Op} at MessageFamilyTests.cs:", $"{(op.Op == "Select" && c.Bad < 0 ? c.Bad - c.N : c.Bad)}", $"{c.N})")));
    }

    /// <summary>The public tensor methods with a parameter of the given kind, by name.</summary>
    private static SortedSet<string> PublicOps(Func<ParameterInfo, bool> takes)
    {
        IEnumerable<MethodInfo> methods = typeof(Tensor<double>).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Concat(typeof(Tensor).GetMethods(BindingFlags.Public | BindingFlags.Static));
        return new SortedSet<string>(methods.Where(m => m.GetParameters().Any(takes)).Select(m => m.Name), StringComparer.Ordinal);
    }

    private static bool IsTensor(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Tensor<>);

    [Test]
    public void Every_public_op_that_takes_an_axis_is_in_the_axis_family()
    {
        SortedSet<string> takesAxis = PublicOps(p => p.Name!.Contains("axis", StringComparison.OrdinalIgnoreCase) || p.Name == "axes");
        Assert.That(takesAxis, Is.Not.Empty);
        Assert.That(takesAxis.Except(AxisOps().Select(o => o.Op)), Is.Empty, "ops that take an axis but have no case in AxisOps()");
    }

    [Test]
    public void Every_public_op_that_combines_two_tensors_elementwise_is_in_the_broadcast_family()
    {
        // Ops whose operands have shape rules of their own (matrix products, layers' weights, attention, recurrences)
        // are in the misuse catalogue, each with its own message; every other op of two or more tensors broadcasts.
        string[] ownRules = ["MatMul", "MatMulTransposed", "Linear", "Conv2d", "BatchNorm", "LayerNorm", "RmsNorm", "ScaledDotProductAttention",
            "GruRecurrence", "LstmRecurrence", "Concat", "Stack", "FromScalars", "Embedding", "Backward"];
        SortedSet<string> binary = new(
            typeof(Tensor<double>).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => !m.IsSpecialName && m.GetParameters().Any(p => IsTensor(p.ParameterType))).Select(m => m.Name)
                .Concat(typeof(Tensor).GetMethods(BindingFlags.Public | BindingFlags.Static)
                    .Where(m => m.GetParameters().Count(p => IsTensor(p.ParameterType)) >= 2).Select(m => m.Name)),
            StringComparer.Ordinal);
        Assert.That(binary, Is.Not.Empty);
        Assert.That(binary.Except(ownRules).Except(BinaryOps().Select(o => o.Op)), Is.Empty, "ops of two tensors with no case in BinaryOps()");
    }
}
