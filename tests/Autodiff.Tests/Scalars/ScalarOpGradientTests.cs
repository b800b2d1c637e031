using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Scalars;

/// <summary>Every scalar op: its value against plain double code, its derivative against central differences.</summary>
[TestFixture]
public sealed class ScalarOpGradientTests
{
    // Central differences at eps = 1e-6 are good to about 1e-9 relative here; these bounds are 1000× tighter
    // than PyTorch's gradcheck defaults and still far above the rounding noise.
    private static readonly GradCheckOptions s_tight = new() { AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-6 };

    public static IEnumerable<ScalarOpCase> Cases => ScalarOpTable.All;

    [TestCaseSource(nameof(Cases))]
    public void Derivative_matches_finite_differences(ScalarOpCase op)
    {
        Property property = Prop.ForAll(op.Domain.ToArbitrary(), x =>
        {
            GradCheckReport report = GradCheck.Check(op.Forward, x, s_tight);
            return report.Passed.Label($"{op.Name} at [{string.Join(", ", x)}]: {report}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [TestCaseSource(nameof(Cases))]
    public void Value_matches_plain_double_code(ScalarOpCase op)
    {
        Property property = Prop.ForAll(op.Domain.ToArbitrary(), x =>
        {
            using var tape = new Tape();
            double actual = op.Forward(tape.Variables(x)).Value;
            double expected = op.Reference(x);
            return (Math.Abs(actual - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)))
                .Label($"{op.Name} at [{string.Join(", ", x)}]: {actual:R} vs {expected:R}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Test]
    public void Every_scalar_op_has_a_row_in_the_op_table()
    {
        ScalarOp[] leaves = [ScalarOp.None, ScalarOp.Variable, ScalarOp.Constant];
        var covered = ScalarOpTable.All.Select(c => c.Op).ToHashSet();
        var missing = Enum.GetValues<ScalarOp>().Except(leaves).Where(op => !covered.Contains(op)).ToList();
        Assert.That(missing, Is.Empty, "ops without a gradient check row in ScalarOpTable");
    }

    [Test]
    public void Every_row_records_the_op_it_claims()
    {
        foreach (ScalarOpCase op in ScalarOpTable.All)
        {
            using var tape = new Tape();
            double[] x = op.Domain.Sample(1, 1).Single();
            op.Forward(tape.Variables(x));
            Assert.That(tape.ToString(), Does.Contain(op.Op.ToString()), op.Name);
        }
    }
}
