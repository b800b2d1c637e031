using System.Reflection;
using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Tensors;

/// <summary>Every differentiable tensor op against central differences, in double, on random shapes.</summary>
[TestFixture]
public sealed class TensorOpGradientTests
{
    private static readonly GradCheckOptions s_tight = new() { AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-6 };

    public static IEnumerable<TensorOpCase> Cases => TensorOpTable.All;

    [TestCaseSource(nameof(Cases))]
    public void Gradient_matches_finite_differences(TensorOpCase op)
    {
        Property property = Prop.ForAll(op.Inputs.ToArbitrary(), inputs =>
        {
            GradCheckReport report = GradCheck.Check(op.Forward, inputs, s_tight);
            string shapes = string.Join(" ", inputs.Select(t => "[" + string.Join(",", t.ShapeArray()) + "]"));
            return report.Passed.Label($"{op.Name} on {shapes}: {report}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    [Test]
    public void Every_differentiable_tensor_method_has_a_row_in_the_op_table()
    {
        var covered = TensorOpTable.All.SelectMany(c => c.Covers).ToHashSet();
        IEnumerable<string> instance = typeof(Tensor<double>).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.ReturnType == typeof(Tensor<double>)).Select(m => m.Name);
        IEnumerable<string> statics = typeof(Tensor).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType.IsGenericType && m.ReturnType.GetGenericTypeDefinition() == typeof(Tensor<>)).Select(m => m.Name);
        var missing = instance.Concat(statics).Distinct()
            .Where(name => !name.StartsWith("op_", StringComparison.Ordinal) && !TensorOpTable.NotDifferentiable.Contains(name) && !covered.Contains(name))
            .ToList();
        Assert.That(missing, Is.Empty, "tensor ops without a gradient-check row in TensorOpTable");
    }
}
