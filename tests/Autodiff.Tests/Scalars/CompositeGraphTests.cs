using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.Tests.Scalars;

/// <summary>
/// Random expression graphs, checked with <see cref="GradCheck"/>: each node applies a smooth op to earlier
/// nodes chosen at random, so subexpressions are shared and values fan out to many consumers.
/// </summary>
[TestFixture]
public sealed class CompositeGraphTests
{
    /// <summary>A random program: how many inputs, how many nodes (the depth is at most this), and its seed.</summary>
    public sealed record Program(int Inputs, int Nodes, int Seed)
    {
        public override string ToString() => $"Program(inputs {Inputs}, nodes {Nodes}, seed {Seed})";

        public double[] Point()
        {
            var random = new Random(Seed ^ 0x5eed);
            return Enumerable.Range(0, Inputs).Select(_ => (random.NextDouble() * 3) - 1.5).ToArray();
        }

        /// <summary>Builds the graph over xs; the output sums the last few nodes so several paths meet there.</summary>
        public Scalar Evaluate(Scalar[] xs)
        {
            var random = new Random(Seed);
            var nodes = new List<Scalar>(xs);
            for (int k = 0; k < Nodes; k++)
            {
                Scalar a = nodes[random.Next(nodes.Count)];
                Scalar b = nodes[random.Next(nodes.Count)];
                nodes.Add(random.Next(12) switch
                {
                    0 => a + b,
                    1 => a - b,
                    2 => a * Scalar.Tanh(b),          // bounded factor keeps deep products finite
                    3 => Scalar.Sin(a),
                    4 => Scalar.Cos(a) * 0.9,
                    5 => Scalar.Tanh(a + b),
                    6 => Scalar.Sigmoid(a) * b,
                    7 => Scalar.Softplus(a) - 0.5,
                    8 => Scalar.Gelu(a),
                    9 => Scalar.Exp(Scalar.Tanh(a)),
                    10 => Scalar.Sqrt((a * a) + 1.0),
                    _ => a / (Scalar.Exp(b * 0.1) + 1.0),
                });
            }

            Scalar output = nodes[^1];
            for (int k = 2; k <= Math.Min(4, nodes.Count); k++)
            {
                output = output + nodes[^k];
            }

            return output;
        }
    }

    private static Arbitrary<Program> Programs()
    {
        Gen<Program> gen =
            from inputs in Gen.Choose(1, 5)
            from nodes in Gen.Choose(1, 20)
            from seed in Gen.Choose(0, int.MaxValue)
            select new Program(inputs, nodes, seed);
        return Arb.From(gen, ShrinkProgram);
    }

    private static IEnumerable<Program> ShrinkProgram(Program p)
    {
        if (p.Nodes > 1)
        {
            yield return p with { Nodes = p.Nodes / 2 };
            yield return p with { Nodes = p.Nodes - 1 };
        }

        if (p.Inputs > 1)
        {
            yield return p with { Inputs = p.Inputs - 1 };
        }
    }

    [Test]
    public void Random_graphs_with_shared_subexpressions_pass_gradcheck()
    {
        var options = new GradCheckOptions { AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-6 };
        Property property = Prop.ForAll(Programs(), program =>
        {
            GradCheckReport report = GradCheck.Check(program.Evaluate, program.Point(), options);
            return report.Passed.Label($"{program}: {report}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Test]
    public void Random_graphs_agree_in_both_gradcheck_modes()
    {
        var full = new GradCheckOptions { Mode = GradCheckMode.FullJacobian, AbsoluteTolerance = 1e-7, RelativeTolerance = 1e-6 };
        var directions = full with { Mode = GradCheckMode.RandomDirections, Directions = 3 };
        Property property = Prop.ForAll(Programs(), program =>
        {
            GradCheckReport a = GradCheck.Check(program.Evaluate, program.Point(), full);
            GradCheckReport b = GradCheck.Check(program.Evaluate, program.Point(), directions);
            return (a.Passed && b.Passed).Label($"{program}: {a} / {b}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }
}
