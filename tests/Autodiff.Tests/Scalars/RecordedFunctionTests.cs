using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Scalars;

/// <summary>
/// <see cref="RecordedFunction"/>: a replay at new inputs gives the same bits as recording afresh there — values,
/// gradients, VJPs and Jacobians — for every op of the scalar op table and for random graphs; it allocates nothing
/// once made; the ops' kinks follow the new values while branches on values stay as recorded.
/// </summary>
[TestFixture]
public sealed class RecordedFunctionTests
{
    public static IEnumerable<ScalarOpCase> Ops => ScalarOpTable.All;

    [TestCaseSource(nameof(Ops))]
    public void A_replay_equals_a_fresh_recording_at_new_inputs(ScalarOpCase op)
    {
        var cases = from at in op.Domain
                    from point in op.Domain
                    select (at, point);
        Property property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (double[] at, double[] point) = c;
            RecordedFunction f;
            using (var tape = new Tape())
            {
                Scalar[] xs = tape.Variables(at);
                Scalar y = op.Forward(xs);
                f = tape.ToFunction(xs, [y * y + y]); // the op's result used twice, so its adjoint is summed
            }

            (double value, double[] gradient) = Fresh(op.Forward, point);
            var replayed = new double[point.Length];
            double replayedValue = f.Gradient(point, replayed);
            bool same = Bits(replayedValue) == Bits(value) && replayed.Select(Bits).SequenceEqual(gradient.Select(Bits));
            return same.Label($"{op.Name}: recorded at [{string.Join(", ", at)}], replayed at [{string.Join(", ", point)}]: " +
                $"{replayedValue:R} / [{string.Join(", ", replayed)}] vs fresh {value:R} / [{string.Join(", ", gradient)}]");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property);
    }

    private static (double Value, double[] Gradient) Fresh(Func<Scalar[], Scalar> forward, double[] point)
    {
        using var tape = new Tape();
        Scalar[] xs = tape.Variables(point);
        Scalar y = forward(xs);
        Scalar output = y * y + y;
        return (output.Value, tape.Gradient(output, xs));
    }

    private static long Bits(double x) => BitConverter.DoubleToInt64Bits(x);

    [Test]
    public void Random_graphs_with_several_outputs_replay_to_the_same_bits()
    {
        Gen<(int, int, int, int)> programs = from inputs in Gen.Choose(1, 5)
                                             from nodes in Gen.Choose(3, 30)
                                             from seed in Gen.Choose(0, int.MaxValue)
                                             from other in Gen.Choose(0, int.MaxValue)
                                             select (inputs, nodes, seed, other);
        Property property = Prop.ForAll(programs.ToArbitrary(), c =>
        {
            (int inputs, int nodes, int seed, int other) = c;
            var program = new CompositeGraphTests.Program(inputs, nodes, seed);
            double[] at = program.Point(), point = new CompositeGraphTests.Program(inputs, nodes, other).Point();
            RecordedFunction f;
            using (var tape = new Tape())
            {
                Scalar[] xs = tape.Variables(at);
                Scalar y = program.Evaluate(xs);
                f = tape.ToFunction(xs, [y, Scalar.Sin(y), y * xs[0]]);
            }

            double[] jacobian = new double[3 * inputs], values = new double[3], vjp = new double[inputs];
            f.Jacobian(point, jacobian);
            f.Evaluate(point, values);
            f.Vjp(point, [0.5, -2.0, 3.0], vjp);

            using var fresh = new Tape();
            Scalar[] fx = fresh.Variables(point);
            Scalar fy = program.Evaluate(fx);
            Scalar[] outputs = [fy, Scalar.Sin(fy), fy * fx[0]];
            double[] freshJacobian = [.. outputs.SelectMany(o => fresh.Gradient(o, fx))];
            double[] freshVjp = fresh.Gradient((0.5 * outputs[0]) + (-2.0 * outputs[1]) + (3.0 * outputs[2]), fx);
            bool same = values.Select(Bits).SequenceEqual(outputs.Select(o => Bits(o.Value)))
                && jacobian.Select(Bits).SequenceEqual(freshJacobian.Select(Bits));
            bool close = vjp.Zip(freshVjp).All(p => Math.Abs(p.First - p.Second) <= 1e-13 * (1 + Math.Abs(p.Second)));
            return (same && close).Label($"{program} replayed at [{string.Join(", ", point)}]: values {same}, vjp {close}: " +
                $"[{string.Join(", ", values)}] vs [{string.Join(", ", outputs.Select(o => o.Value))}], J [{string.Join(", ", jacobian)}] vs [{string.Join(", ", freshJacobian)}]");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    [Test]
    public void Replays_allocate_nothing_and_outlive_the_tape()
    {
        RecordedFunction f;
        using (var tape = new Tape())
        {
            Scalar[] xs = tape.Variables([0.3, -0.7]);
            f = tape.ToFunction(xs, [Scalar.Exp(xs[0]) * Scalar.Sin(xs[1]) + Scalar.Hypot(xs[0], xs[1])]);
            tape.Reset();
        }

        var gradient = new double[2];
        double[] point = [0.3, -0.7];
        f.Gradient(point, gradient);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            point[0] = 0.01 * i;
            f.Gradient(point, gradient);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "bytes allocated by 100 replays");
        double x = 0.99, y = -0.7, h = Math.Sqrt((x * x) + (y * y));
        Assert.That(gradient[0], Is.EqualTo((Math.Exp(x) * Math.Sin(y)) + (x / h)).Within(1e-15));
        Assert.That(gradient[1], Is.EqualTo((Math.Exp(x) * Math.Cos(y)) + (y / h)).Within(1e-15));
    }

    [Test]
    public void The_ops_kinks_follow_the_new_values_but_branches_on_values_stay_as_recorded()
    {
        RecordedFunction relu, branch;
        using (var tape = new Tape())
        {
            Scalar x = tape.Variable(2.0);
            relu = tape.ToFunction([x], [Scalar.Relu(x) + Scalar.Max(x, 1.0)]);
            Scalar y = x.Value > 0 ? x * 3.0 : x * -1.0; // decided in C# on the recorded value
            branch = tape.ToFunction([x], [y]);
        }

        var g = new double[1];
        relu.Gradient([-1.0], g);
        Assert.That(g[0], Is.EqualTo(0.0), "ReLU′ and Max′ at the new point −1: both 0");
        relu.Gradient([0.5], g);
        Assert.That(g[0], Is.EqualTo(1.0), "ReLU′(0.5) = 1, Max(0.5, 1)′ = 0");
        Assert.That(branch.Gradient([-1.0], g), Is.EqualTo(-3.0), "the recorded branch x·3, frozen (documented)");
        Assert.That(g[0], Is.EqualTo(3.0));
    }

    [Test]
    public void Misuse_is_refused_by_name()
    {
        using var tape = new Tape();
        Scalar x = tape.Variable(1.0), y = x * 2.0;
        Assert.That(Assert.Throws<ArgumentException>(() => tape.ToFunction([y], [y]))!.Message, Does.StartWith("ToFunction: inputs[0] (#2) is the result of a Multiply, not a variable"));
        Assert.That(Assert.Throws<ArgumentException>(() => tape.ToFunction([x, x], [y]))!.Message, Does.StartWith("ToFunction: inputs[1] (#1) is given twice"));
        Assert.Throws<ArgumentException>(() => tape.ToFunction([x], []));
        RecordedFunction f = tape.ToFunction([x], [y]);
        Assert.That(Assert.Throws<ArgumentException>(() => f.Gradient([1.0, 2.0], new double[1]))!.Message, Does.StartWith("RecordedFunction.Evaluate: x has 2 elements; the function has 1 inputs"));
        Assert.That(Assert.Throws<ArgumentException>(() => f.Gradient([1.0], new double[2]))!.Message, Does.StartWith("RecordedFunction.Gradient: gradient has 2 elements"));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.Gradient([1.0], new double[1], output: 1));
        using var mixed = new Tape();
        Scalar s = mixed.Variable(1.0);
        Tensor<double> t = Tensor.FromScalars<double>([s], 1).Mul(2.0);
        _ = t;
        Assert.That(Assert.Throws<InvalidOperationException>(() => mixed.ToFunction([s], [s]))!.Message, Does.StartWith("ToFunction: this tape also holds tensor operations"));
    }
}
