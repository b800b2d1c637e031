using System.Text.RegularExpressions;
using Autodiff.Tests.Tensors;

namespace Autodiff.Tests.Docs;

/// <summary>
/// docs/derivatives.md is checked against the code: every op of both op tables has a row, and each row's link points
/// at the line where the op's rule is written — the scalar op's Push with its partial, the tensor op's
/// <c>Autograd.Record(nameof(Op), …)</c> with its rule, or the declaration of an op composed from others.
/// </summary>
/// <remarks>
/// When code moves, run <c>AUTODIFF_UPDATE_DOCS=1 dotnet test --filter DerivativeReference</c>: the links are
/// rewritten to the lines they should name, and the test passes; a missing row still fails.
/// </remarks>
[TestFixture]
public sealed partial class DerivativeReferenceTests
{
    private static readonly string s_root = FindRoot();
    private static readonly string s_doc = Path.Combine(s_root, "docs", "derivatives.md");

    public static IEnumerable<string> ScalarOps => Enum.GetNames<ScalarOp>().Where(n => n is not ("None" or "Variable" or "Constant"));

    public static IEnumerable<string> TensorOps => TensorOpTable.All.SelectMany(c => c.Covers).Distinct();

    [Test]
    public void Every_op_of_both_op_tables_has_a_row_whose_link_names_the_line_of_its_rule()
    {
        string[] lines = File.ReadAllLines(s_doc);
        var problems = new List<string>();
        bool update = Environment.GetEnvironmentVariable("AUTODIFF_UPDATE_DOCS") == "1";
        string section = "";
        var seen = new HashSet<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("## ", StringComparison.Ordinal))
            {
                section = lines[i];
                continue;
            }

            Match row = RowPattern().Match(lines[i]);
            if (!row.Success)
            {
                continue;
            }

            bool scalar = section.Contains("Scalars", StringComparison.Ordinal);
            string op = row.Groups["op"].Value;
            if (!(scalar ? ScalarOps : TensorOps).Contains(op))
            {
                problems.Add($"docs/derivatives.md:{i + 1}: '{op}' is not an op of the {(scalar ? "scalar" : "tensor")} op table");
                continue;
            }

            seen.Add((scalar ? "scalar " : "tensor ") + op);
            (string file, int line) = scalar ? LocateScalarRule(op) : LocateTensorRule(op);
            string expected = Link(file, line);
            Match link = LinkPattern().Match(lines[i]);
            if (link.Success && link.Value == expected)
            {
                continue;
            }

            if (update)
            {
                // A stale link is replaced; a row without one gets it in its last (empty) cell.
                lines[i] = link.Success ? lines[i].Replace(link.Value, expected, StringComparison.Ordinal) : EmptyLastCell().Replace(lines[i], "| " + expected + " |");
            }
            else
            {
                problems.Add($"docs/derivatives.md:{i + 1}: '{op}' links {(link.Success ? link.Value : "nothing")}, its rule is at {expected}");
            }
        }

        problems.AddRange(ScalarOps.Where(op => !seen.Contains("scalar " + op)).Select(op => $"scalar op '{op}' has no row in docs/derivatives.md"));
        problems.AddRange(TensorOps.Where(op => !seen.Contains("tensor " + op)).Select(op => $"tensor op '{op}' has no row in docs/derivatives.md"));
        if (update)
        {
            File.WriteAllLines(s_doc, lines);
        }

        Assert.That(problems, Is.Empty, "run with AUTODIFF_UPDATE_DOCS=1 to rewrite stale links; add a row for a missing op");
    }

    [TestCaseSource(nameof(ScalarOps))]
    public void A_scalar_ops_recorded_partial_is_written_beside_the_op(string op)
    {
        (string file, int line) = LocateScalarRule(op);
        string[] source = File.ReadAllLines(Path.Combine(s_root, file));
        int recorded = Array.FindIndex(source, l => l.Contains($"static void {op}Recorded(", StringComparison.Ordinal));
        Assert.That(recorded, Is.GreaterThan(line - 1).And.LessThan(line + 80), $"{op}Recorded should follow {op} in {file}");
    }

    /// <summary>The first Push of the op in src/Autodiff/Scalars: the line that records its value and partial.</summary>
    private static (string File, int Line) LocateScalarRule(string op)
        => Locate("src/Autodiff/Scalars", [$"Push(ScalarOp.{op},"])
           ?? throw new AssertionException($"no Push(ScalarOp.{op}, …) in src/Autodiff/Scalars");

    /// <summary>The op's Autograd.Record with its rule, or, for an op composed of others, its declaration.</summary>
    private static (string File, int Line) LocateTensorRule(string op)
        => Locate("src/Autodiff/Tensors", [$"Autograd.Record(nameof({op}),"])
           ?? Locate("src/Autodiff/Tensors", [$"public Tensor<T> {op}(", $"public static Tensor<T> {op}<T>(", $"public Scalar {op}(", $"public Tensor<T>[] {op}(", $"public Tensor<double> {op}(", $"public Tensor<float> {op}("])
           ?? throw new AssertionException($"no rule or declaration of '{op}' in src/Autodiff/Tensors");

    private static (string File, int Line)? Locate(string folder, string[] needles)
    {
        foreach (string path in Directory.EnumerateFiles(Path.Combine(s_root, folder), "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            string[] source = File.ReadAllLines(path);
            int at = Array.FindIndex(source, l => needles.Any(n => l.Contains(n, StringComparison.Ordinal)));
            if (at >= 0)
            {
                return (Path.GetRelativePath(s_root, path).Replace('\\', '/'), at + 1);
            }
        }

        return null;
    }

    private static string Link(string file, int line) => $"[{Path.GetFileName(file)}:{line}](../{file}#L{line})";

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autodiff.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Autodiff.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A table row whose first cell starts with an op in backticks.</summary>
    [GeneratedRegex(@"^\| `(?<op>[A-Za-z0-9]+)`")]
    private static partial Regex RowPattern();

    [GeneratedRegex(@"\[[A-Za-z0-9.]+:\d+\]\([^)]*#L\d+\)")]
    private static partial Regex LinkPattern();

    [GeneratedRegex(@"\|\s*\|\s*$")]
    private static partial Regex EmptyLastCell();
}
