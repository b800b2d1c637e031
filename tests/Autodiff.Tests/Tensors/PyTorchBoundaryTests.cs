using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Autodiff.Tests.Tensors;

/// <summary>
/// Where PyTorch defines what an op does at a boundary — zeros and kinks, ties, ±∞, NaN, empty and 0-d tensors,
/// size-1 broadcasting, negative axes — the library does the same, forward and backward, in double: each point of
/// tests/fixtures/pytorch/boundaries/tensor_ops.json (made by PyTorch 1.13 with make_boundaries.py) is replayed
/// through the public API and compared with PyTorch's output and its .grad of the loss Σ output·w.
/// </summary>
/// <remarks>
/// NaN, ±∞ and zeros must sit exactly where PyTorch has them (same-signed infinities; the sign of a zero is not
/// compared); every other element agrees to 1e-12 relative (a subnormal one to 4 units of the smallest subnormal). A
/// point PyTorch refuses must throw here too. Where the library deliberately differs (the zero-safe rule behind a
/// <c>Where</c>, the zeros of a fully masked attention query, an exact softplus above PyTorch's threshold, and the
/// others of docs/reliability.md's "Boundaries, against PyTorch"), the fixture keeps PyTorch's result beside the
/// library's own rule and says why; the test holds the library to its rule and checks that the difference is real.
/// Ops of the table without points (FromScalars and the fused recurrences) carry the reason in the fixture.
/// </remarks>
[TestFixture]
public sealed class PyTorchBoundaryTests
{
    private const double Relative = 1e-12;

    /// <summary>For subnormal references (a handful of significant bits): 4 units of the smallest subnormal.</summary>
    private const double Subnormal = 4 * double.Epsilon;

    private static readonly Lazy<Fixture> s_fixture = new(Fixture.Load);

    /// <summary>Every op of the op table, by the names its rows cover (as DerivativeReferenceTests reads them).</summary>
    public static IEnumerable<string> TableOps => TensorOpTable.All.SelectMany(c => c.Covers).Distinct().Order(StringComparer.Ordinal);

    public static IEnumerable<string> FixturedOps => s_fixture.Value.Points.Select(p => p.Op).Distinct().Order(StringComparer.Ordinal);

    [Test]
    public void Every_op_of_the_op_table_has_boundary_points_or_a_stated_reason()
    {
        Fixture fixture = s_fixture.Value;
        var fixtured = fixture.Points.Select(p => p.Op).ToHashSet();
        var table = TableOps.ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(table.Where(op => !fixtured.Contains(op) && !fixture.NotFixtured.ContainsKey(op)), Is.Empty,
                "ops of TensorOpTable with neither points in make_boundaries.py nor a reason in its NOT_FIXTURED");
            Assert.That(fixtured.Concat(fixture.NotFixtured.Keys).Where(op => !table.Contains(op)), Is.Empty, "ops of the fixture that the op table does not know");
            Assert.That(fixture.NotFixtured.Keys.Where(fixtured.Contains), Is.Empty, "an op with points needs no reason");
            Assert.That(fixture.NotFixtured.Values.Where(string.IsNullOrWhiteSpace), Is.Empty, "every reason says something");
            Assert.That(fixture.Points.Select(p => p.Call).Where(c => !s_recipes.ContainsKey(c)).Distinct(), Is.Empty, "calls without a recipe here");
        });
        TestContext.Out.WriteLine($"{fixture.Points.Count} points over {fixtured.Count} ops; {fixture.NotFixtured.Count} ops covered elsewhere:");
        foreach ((string op, string why) in fixture.NotFixtured.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            TestContext.Out.WriteLine($"  {op}: {why}");
        }
    }

    [TestCaseSource(nameof(FixturedOps))]
    public void The_op_matches_PyTorch_at_its_boundaries(string op)
    {
        var failures = new List<string>();
        double worst = 0;
        foreach (Point point in s_fixture.Value.Points.Where(p => p.Op == op))
        {
            (IReadOnlyList<string> problems, double rel) = Replay(point);
            failures.AddRange(problems.Select(p => $"{point.Name}: {p}"));
            worst = Math.Max(worst, rel);
            TestContext.Out.WriteLine($"{point.Name}{(point.Differs is null ? "" : " [the library's own rule]")}: worst relative difference {rel:G3}");
        }

        TestContext.Out.WriteLine($"{op}: worst relative difference {worst:G3}");
        Assert.That(failures, Is.Empty, string.Join(Environment.NewLine, failures));
    }

    [Test]
    public void Each_stated_difference_from_PyTorch_is_real()
    {
        foreach (Point point in s_fixture.Value.Points.Where(p => p.Differs is not null))
        {
            Assert.That(point.PyTorch, Is.Not.Null, $"{point.Name}: the fixture keeps PyTorch's own result");
            var problems = new List<string>();
            Result ours = point.Expected, theirs = point.PyTorch!;
            if (ours.Raises is null && theirs.Raises is null) // one refusing where the other answers is a difference already
            {
                Compare("output", theirs.Output!, ours.Output!, problems);
                for (int i = 0; i < ours.Grads!.Count; i++)
                {
                    if (ours.Grads[i] is Encoded g)
                    {
                        Compare($"grad {i}", theirs.Grads![i]!, g, problems);
                    }
                }

                Assert.That(problems, Is.Not.Empty, $"{point.Name}: PyTorch agrees with the library's rule, so the fixture's 'differs' is stale");
            }

            TestContext.Out.WriteLine($"{point.Name}: {point.Differs}");
        }
    }

    [Test]
    public void The_worst_relative_difference_over_all_points_is_within_the_tolerance()
    {
        double worst = 0;
        string where = "";
        foreach (Point point in s_fixture.Value.Points)
        {
            double rel = Replay(point).Worst;
            if (rel > worst)
            {
                (worst, where) = (rel, point.Name);
            }
        }

        TestContext.Out.WriteLine($"worst relative difference from PyTorch: {worst:G3} ({where})");
        Assert.That(worst, Is.LessThanOrEqualTo(Relative));
    }

    /// <summary>Runs one point on a tape and compares the output and each gradient with the fixture's.</summary>
    private static (IReadOnlyList<string> Problems, double Worst) Replay(Point point)
    {
        var problems = new List<string>();
        Tensor<double>[] inputs = point.Inputs.Select((t, i) => point.Frozen.Contains(i) ? t.ToTensor() : t.ToTensor().RequiresGrad()).ToArray();
        using var tape = new Tape();
        Tensor<double> output;
        try
        {
            output = s_recipes[point.Call](inputs, point.Args);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            if (point.Expected.Raises is null)
            {
                problems.Add($"throws {e.GetType().Name} ({e.Message}) where PyTorch gives a result");
            }

            return (problems, 0);
        }

        if (point.Expected.Raises is string raises)
        {
            problems.Add($"gives a result where PyTorch refuses the call ({raises})");
            return (problems, 0);
        }

        double worst = Compare("output", output, point.Expected.Output!, problems);
        if (!problems.Any())
        {
            Tensor<double> w = (point.LossWeight ?? throw new InvalidOperationException($"{point.Name}: no loss_weight in the fixture")).ToTensor();
            Tensor<double>[] differentiable = inputs.Where((_, i) => !point.Frozen.Contains(i)).ToArray();
            Tensor<double>[] grads;
            try
            {
                grads = tape.Gradient(output.Mul(w).Sum(), differentiable);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                problems.Add($"the backward pass throws {e.GetType().Name} ({e.Message})");
                return (problems, worst);
            }

            int k = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                if (!point.Frozen.Contains(i))
                {
                    worst = Math.Max(worst, Compare($"grad of input {i}", grads[k++], point.Expected.Grads![i]!, problems));
                }
            }
        }

        return (problems, worst);
    }

    private static double Compare(string what, Tensor<double> actual, Encoded expected, List<string> problems)
        => Compare(what, new Encoded(actual.ShapeArray(), actual.ToArray()), expected, problems);

    /// <summary>NaN, ±∞ and 0 exactly where expected, the rest within <see cref="Relative"/>; the worst relative difference.</summary>
    private static double Compare(string what, Encoded actual, Encoded expected, List<string> problems)
    {
        if (!actual.Shape.SequenceEqual(expected.Shape))
        {
            problems.Add($"{what}: shape {Tensor.FormatShape(actual.Shape)}, PyTorch {Tensor.FormatShape(expected.Shape)}");
            return 0;
        }

        double worst = 0;
        var bad = new StringBuilder();
        int badCount = 0;
        for (int i = 0; i < expected.Data.Length; i++)
        {
            double a = actual.Data[i], e = expected.Data[i];
            bool ok;
            if (double.IsNaN(e) || double.IsInfinity(e) || e == 0)
            {
                ok = double.IsNaN(e) ? double.IsNaN(a) : a == e;
            }
            else if (double.IsSubnormal(e))
            {
                ok = Math.Abs(a - e) <= Subnormal; // a subnormal has too few bits for a relative tolerance
            }
            else
            {
                double rel = Math.Abs(a - e) / Math.Abs(e);
                ok = rel <= Relative;
                worst = double.IsNaN(rel) ? double.PositiveInfinity : Math.Max(worst, rel);
            }

            if (!ok && badCount++ < 4)
            {
                bad.Append(CultureInfo.InvariantCulture, $" [{i}] {a:R} vs {e:R};");
            }
        }

        if (badCount > 0)
        {
            problems.Add($"{what}: {badCount} of {expected.Data.Length} elements differ from PyTorch:{bad}");
        }

        return worst;
    }

    private static Tensor<double> Combine(Tensor<double>[] pieces, int axis) => Tensor.Concat(pieces.Select((p, i) => p.Mul(i + 1.0)).ToArray(), axis);

    private static Tensor<double> Zero => Tensor.Scalar(0.0);

    /// <summary>
    /// The library's side of each call of make_boundaries.py's CALLS, by the same name: one public op (or, for the
    /// zero-safe points, a Where around one) applied to the point's inputs and arguments.
    /// </summary>
    private static readonly Dictionary<string, Func<Tensor<double>[], Args, Tensor<double>>> s_recipes = new()
    {
        ["Add"] = (x, a) => x[0].Add(x[1]),
        ["Add scalar"] = (x, a) => x[0].Add(a.Double("c")),
        ["Sub"] = (x, a) => x[0].Sub(x[1]),
        ["RSub"] = (x, a) => x[0].RSub(a.Double("c")),
        ["Mul"] = (x, a) => x[0].Mul(x[1]),
        ["Mul scalar"] = (x, a) => x[0].Mul(a.Double("c")),
        ["Div"] = (x, a) => x[0].Div(x[1]),
        ["RDiv"] = (x, a) => x[0].RDiv(a.Double("c")),
        ["Neg"] = (x, a) => x[0].Neg(),
        ["Pow scalar"] = (x, a) => x[0].Pow(a.Double("p")),
        ["Pow"] = (x, a) => x[0].Pow(x[1]),
        ["Maximum"] = (x, a) => x[0].Maximum(x[1]),
        ["Minimum"] = (x, a) => x[0].Minimum(x[1]),
        ["Exp"] = (x, a) => x[0].Exp(),
        ["Log"] = (x, a) => x[0].Log(),
        ["Sqrt"] = (x, a) => x[0].Sqrt(),
        ["Sin"] = (x, a) => x[0].Sin(),
        ["Cos"] = (x, a) => x[0].Cos(),
        ["Tan"] = (x, a) => x[0].Tan(),
        ["Abs"] = (x, a) => x[0].Abs(),
        ["Tanh"] = (x, a) => x[0].Tanh(),
        ["Sigmoid"] = (x, a) => x[0].Sigmoid(),
        ["Relu"] = (x, a) => x[0].Relu(),
        ["LeakyRelu"] = (x, a) => x[0].LeakyRelu(a.Double("slope")),
        ["Gelu"] = (x, a) => x[0].Gelu(),
        ["Softplus"] = (x, a) => x[0].Softplus(),
        ["Clamp"] = (x, a) => x[0].Clamp(a.Double("min"), a.Double("max")),
        ["Dropout"] = (x, a) => Tensor.Dropout(x[0], a.Double("p"), seed: 1),
        ["ToDouble"] = (x, a) => x[0].ToDouble(),
        ["Where"] = (x, a) => Tensor.Where(x[0], x[1], x[2]),
        ["Where of Sqrt"] = (x, a) => Tensor.Where(x[0].Gt(Zero), x[0].Sqrt(), Zero),
        ["Where of Log"] = (x, a) => Tensor.Where(x[0].Gt(Zero), x[0].Log(), Zero),
        ["Where of RDiv"] = (x, a) => Tensor.Where(x[0].Eq(Zero), Zero, x[0].RDiv(1.0)),
        ["Where of Pow"] = (x, a) => Tensor.Where(x[0].Gt(Zero), x[0].Pow(-0.5), Zero),
        ["MaskedFill"] = (x, a) => x[1].MaskedFill(x[0], a.Double("value")),
        ["MatMul"] = (x, a) => x[0].MatMul(x[1]),
        ["MatMulTransposed"] = (x, a) => x[0].MatMulTransposed(x[1]),
        ["Linear"] = (x, a) => Tensor.Linear(x[0], x[1], x.Length > 2 ? x[2] : null),
        ["Conv2d"] = (x, a) => Tensor.Conv2d(x[0], x[1], x.Length > 2 ? x[2] : null, a.Int("stride"), a.Int("padding"), a.Int("dilation")),
        ["Unfold"] = (x, a) => Tensor.Unfold(x[0], a.Int("kh"), a.Int("kw"), a.Int("stride"), a.Int("padding"), a.Int("dilation")),
        ["Fold"] = (x, a) => Tensor.Fold(x[0], a.Int("h"), a.Int("w"), a.Int("kh"), a.Int("kw"), a.Int("stride"), a.Int("padding"), a.Int("dilation")),
        ["MaxPool2d"] = (x, a) => Tensor.MaxPool2d(x[0], a.Int("k"), a.Int("stride"), a.Int("padding"), a.Int("dilation")),
        ["AvgPool2d"] = (x, a) => Tensor.AvgPool2d(x[0], a.Int("k"), a.Int("stride"), a.Int("padding")),
        ["Flatten"] = (x, a) => x[0].Flatten(a.Int("start"), a.Int("end")),
        ["BatchNorm"] = (x, a) => Tensor.BatchNorm(x[0], a.Tensor("running_mean"), a.Tensor("running_var"), x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null,
            training: a.Bool("training"), eps: a.DoubleOr("eps", 1e-5)),
        ["CrossEntropy"] = (x, a) => Tensor.CrossEntropy(x[0], a.Ints("targets")),
        ["CrossEntropyMean"] = (x, a) => Tensor.CrossEntropyMean(x[0], a.Ints("targets")),
        ["Transpose"] = (x, a) => x[0].Transpose(),
        ["Transpose axes"] = (x, a) => x[0].Transpose(a.Int("axis0"), a.Int("axis1")),
        ["Permute"] = (x, a) => x[0].Permute(a.Ints("order")),
        ["Reshape"] = (x, a) => x[0].Reshape(a.Ints("shape")),
        ["Squeeze"] = (x, a) => x[0].Squeeze(a.IntOrNull("axis")),
        ["Unsqueeze"] = (x, a) => x[0].Unsqueeze(a.Int("axis")),
        ["BroadcastTo"] = (x, a) => x[0].BroadcastTo(a.Ints("shape")),
        ["Narrow"] = (x, a) => x[0].Narrow(a.Int("axis"), a.Int("start"), a.Int("length")),
        ["Slice"] = (x, a) => x[0].Slice(a.Int("axis"), a.Int("start"), a.Int("end")),
        ["Concat"] = (x, a) => Tensor.Concat(x, a.Int("axis")),
        ["Stack"] = (x, a) => Tensor.Stack(x, a.Int("axis")),
        ["IndexSelect"] = (x, a) => x[0].IndexSelect(a.Int("axis"), a.Ints("indices")),
        ["Gather"] = (x, a) => x[0].Gather(a.Int("axis"), a.Ints("index")),
        ["Select"] = (x, a) => x[0].Select(a.Int("axis"), a.Int("index")),
        ["Split"] = (x, a) => Combine(x[0].Split(a.Int("size"), a.Int("axis")), a.Int("axis")),
        ["Chunk"] = (x, a) => Combine(x[0].Chunk(a.Int("chunks"), a.Int("axis")), a.Int("axis")),
        ["Tril"] = (x, a) => x[0].Tril(a.Int("diagonal")),
        ["Triu"] = (x, a) => x[0].Triu(a.Int("diagonal")),
        ["Sum"] = (x, a) => x[0].Sum(a.IntsOrNull("axes"), a.Bool("keepdim")),
        ["Mean"] = (x, a) => x[0].Mean(a.IntsOrNull("axes"), a.Bool("keepdim")),
        ["Max"] = (x, a) => x[0].Max(a.IntsOrNull("axes"), a.Bool("keepdim")),
        ["Min"] = (x, a) => x[0].Min(a.IntsOrNull("axes"), a.Bool("keepdim")),
        ["LogSumExp"] = (x, a) => x[0].LogSumExp(a.IntsOrNull("axes"), a.Bool("keepdim")),
        ["Var"] = (x, a) => x[0].Var(a.IntsOrNull("axes"), a.Bool("unbiased"), a.Bool("keepdim")),
        ["Std"] = (x, a) => x[0].Std(a.IntsOrNull("axes"), a.Bool("unbiased"), a.Bool("keepdim")),
        ["Softmax"] = (x, a) => x[0].Softmax(a.Int("axis")),
        ["LogSoftmax"] = (x, a) => x[0].LogSoftmax(a.Int("axis")),
        ["Embedding"] = (x, a) => Tensor.Embedding(x[0], a.Ints("indices"), a.Ints("index_shape"), a.IntOrNull("padding_idx")),
        ["LayerNorm"] = (x, a) => Tensor.LayerNorm(x[0], a.Ints("shape"), x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null, a.DoubleOr("eps", 1e-5)),
        ["RmsNorm"] = (x, a) => Tensor.RmsNorm(x[0], a.Ints("shape"), x.Length > 1 ? x[1] : null, a.Has("eps") ? a.Double("eps") : null),
        ["ScaledDotProductAttention"] = (x, a) => Tensor.ScaledDotProductAttention(x[0], x[1], x[2], x.Length > 3 ? x[3] : null,
            causal: a.Has("causal") && a.Bool("causal"), scale: a.Has("scale") ? a.Double("scale") : null),
    };

    /// <summary>A tensor as the fixture writes it: a shape and row-major values, NaN and ±∞ as strings.</summary>
    private sealed record Encoded(int[] Shape, double[] Data)
    {
        public static Encoded Parse(JsonElement e)
            => new(e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray(), e.GetProperty("data").EnumerateArray().Select(Number).ToArray());

        public Tensor<double> ToTensor() => Shape.Length == 0 ? Tensor.Scalar(Data[0]) : Tensor.FromArray<double>(Data, Shape);
    }

    /// <summary>What PyTorch (or the library's own rule) gives: a refusal, or an output and a gradient per input (null for a frozen one).</summary>
    private sealed record Result(string? Raises, Encoded? Output, IReadOnlyList<Encoded?>? Grads)
    {
        public static Result Parse(JsonElement e)
            => e.TryGetProperty("raises", out JsonElement raises)
                ? new(raises.GetString(), null, null)
                : new(null, Encoded.Parse(e.GetProperty("output")),
                    e.GetProperty("grads").EnumerateArray().Select(g => g.ValueKind == JsonValueKind.Null ? null : Encoded.Parse(g)).ToArray());
    }

    /// <summary>One boundary point: a call with its arguments and inputs, the result to match, and w of its loss.</summary>
    private sealed record Point(string Op, string Name, string Call, Args Args, Encoded[] Inputs, int[] Frozen, Encoded? LossWeight, Result Expected, Result? PyTorch, string? Differs)
    {
        public override string ToString() => Name;
    }

    /// <summary>A point's arguments (axes, constants, indices) as make_boundaries.py wrote them.</summary>
    private sealed record Args(JsonElement Json)
    {
        public bool Has(string name) => Json.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null;

        public double Double(string name) => Number(Json.GetProperty(name));

        public double DoubleOr(string name, double fallback) => Has(name) ? Double(name) : fallback;

        public int Int(string name) => Json.GetProperty(name).GetInt32();

        public int? IntOrNull(string name) => Has(name) ? Int(name) : null;

        public bool Bool(string name) => Json.GetProperty(name).GetBoolean();

        public int[] Ints(string name) => Json.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

        public int[]? IntsOrNull(string name) => Has(name) ? Ints(name) : null;

        public Tensor<double>? Tensor(string name) => Has(name) ? Autodiff.Tensor.FromArray<double>(Json.GetProperty(name).EnumerateArray().Select(Number).ToArray()) : null;
    }

    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            string s => throw new FormatException($"not a number: '{s}'"),
            null => throw new FormatException("null number"),
        }
        : e.GetDouble();

    private sealed record Fixture(IReadOnlyList<Point> Points, IReadOnlyDictionary<string, string> NotFixtured)
    {
        /// <summary>tests/fixtures/pytorch/boundaries/tensor_ops.json under the repository root (the first folder above the tests' output holding Autodiff.sln).</summary>
        public static Fixture Load()
        {
            string? path = null;
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null && path is null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Autodiff.sln")))
                {
                    path = Path.Combine(dir.FullName, "tests", "fixtures", "pytorch", "boundaries", "tensor_ops.json");
                }
            }

            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path ?? throw new InvalidOperationException("Autodiff.sln not found above " + TestContext.CurrentContext.TestDirectory)));
            JsonElement root = doc.RootElement;
            var points = root.GetProperty("points").EnumerateArray().Select(p => new Point(
                p.GetProperty("op").GetString()!,
                p.GetProperty("name").GetString()!,
                p.GetProperty("call").GetString()!,
                new Args(p.GetProperty("args").Clone()),
                p.GetProperty("inputs").EnumerateArray().Select(Encoded.Parse).ToArray(),
                p.GetProperty("frozen").EnumerateArray().Select(i => i.GetInt32()).ToArray(),
                p.TryGetProperty("loss_weight", out JsonElement w) ? Encoded.Parse(w) : null,
                Result.Parse(p.GetProperty("expected")),
                p.TryGetProperty("pytorch", out JsonElement pt) ? Result.Parse(pt) : null,
                p.TryGetProperty("differs", out JsonElement d) ? d.GetString() : null)).ToList();
            var reasons = root.GetProperty("not_fixtured").EnumerateObject().ToDictionary(o => o.Name, o => o.Value.GetString() ?? "");
            return new Fixture(points, reasons);
        }
    }
}
