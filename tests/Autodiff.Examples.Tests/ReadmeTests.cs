using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Autodiff.Examples.Tests;

/// <summary>
/// Every ```csharp block of README.md compiles against Autodiff and Autodiff.NN as they are now: each block becomes
/// a program of its own (its <c>using</c> directives at the top, then the names it takes as given, then the block),
/// compiled with warnings as errors — so a renamed API, a wrong argument or a snippet that does not stand on its own
/// fails here, not in a reader's editor. The blocks are compiled, not run (one loads a file, another trains).
/// </summary>
[TestFixture]
public sealed partial class ReadmeTests
{
    // What a block uses without declaring it, as a snippet may: the objects its text says it works on, keyed by a
    // line of the block that uses them (not by the block's number, which every new block before it would shift).
    private static readonly Dictionary<string, string> s_given = new()
    {
        ["in loader)"] = "DataLoader loader = new(new Dataset(Tensor.Zeros<float>(4, 64), [0, 1, 2, 3]), batchSize: 2);",
        ["lstm.Forward(next,"] = "Tensor<float> x = Tensor.Zeros<float>(8, 10, 32), next = Tensor.Zeros<float>(8, 10, 32);",
    };

    private const string Usings = "using System; using System.IO; using System.Linq; using System.Collections.Generic; using Autodiff; using Autodiff.NN; " +
        "using Autodiff.NN.Optim; using Autodiff.NN.Data; using Autodiff.NN.Serialization;";

    public static IEnumerable<TestCaseData> Blocks()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        int index = 0;
        foreach (Match m in CodeBlock().Matches(readme))
        {
            index++;
            int line = readme[..m.Index].Count(c => c == '\n') + 1;
            yield return new TestCaseData(index, line, m.Groups[1].Value).SetName($"README block {index} (line {line}) compiles");
        }
    }

    [Test]
    public void The_README_has_code_blocks_to_check() => Assert.That(Blocks().Count(), Is.GreaterThanOrEqualTo(6));

    [TestCaseSource(nameof(Blocks))]
    public void Block_compiles(int index, int line, string code)
    {
        // The block's own using directives go first, as they must in a file.
        string[] lines = code.Split('\n');
        string usings = string.Join('\n', lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal) && !l.StartsWith("using var", StringComparison.Ordinal) && !l.StartsWith("using (", StringComparison.Ordinal)));
        string body = string.Join('\n', lines.Where(l => !(l.StartsWith("using ", StringComparison.Ordinal) && !l.StartsWith("using var", StringComparison.Ordinal) && !l.StartsWith("using (", StringComparison.Ordinal))));
        string preamble = string.Join(' ', Usings.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(u => !usings.Contains(u + ";", StringComparison.Ordinal)).Select(u => u + ";"));
        string source = preamble + "\n" + usings + "\n" + string.Concat(s_given.Where(g => code.Contains(g.Key, StringComparison.Ordinal)).Select(g => g.Value)) + "\n" + body;

        var compilation = CSharpCompilation.Create(
            $"ReadmeBlock{index}",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview))],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error));
        string[] problems = [.. compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"{d.Id} at block line {d.Location.GetLineSpan().StartLinePosition.Line - 1}: {d.GetMessage()}")];
        Assert.That(problems, Is.Empty, $"README.md block {index}, starting at line {line}:\n{code}");
    }

    private static IEnumerable<MetadataReference> References()
    {
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in platform.Split(Path.PathSeparator))
        {
            yield return MetadataReference.CreateFromFile(path);
        }

        yield return MetadataReference.CreateFromFile(typeof(Tape).Assembly.Location);
        yield return MetadataReference.CreateFromFile(typeof(NN.Module).Assembly.Location);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autodiff.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Autodiff.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
