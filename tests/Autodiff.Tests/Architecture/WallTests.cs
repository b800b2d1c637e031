using System.Reflection;
using System.Runtime.CompilerServices;
using NetArchTest.Rules;

namespace Autodiff.Tests.Architecture;

/// <summary>
/// The walls between the rooms (docs/architecture.md): kernels know nothing of tensors, tapes or nodes; the engine
/// knows nothing of Autodiff.NN; only the engine's own tests see its internals, so Autodiff.NN and the examples are
/// held to the public API, which PublicAPI.Shipped.txt tracks.
/// </summary>
[TestFixture]
public sealed class WallTests
{
    private static readonly Assembly s_engine = typeof(Tape).Assembly;

    /// <summary>The engine's types above the kernels: what a loop over spans must not reach for.</summary>
    private static readonly string[] s_aboveKernels =
    [
        "Autodiff.Tensor`1", "Autodiff.Tensor", "Autodiff.Tape", "Autodiff.TensorNode`1", "Autodiff.ITensorNode", "Autodiff.Scalar",
        "Autodiff.Autograd", "Autodiff.Shapes", "Autodiff.Fusion", "Autodiff.Parallelism", "Autodiff.Indices`1", "Autodiff.GradCheck",
    ];

    [Test]
    public void Kernels_reference_no_tensor_tape_node_or_anything_else_above_them()
    {
        TestResult result = Types.InAssembly(s_engine).That().ResideInNamespace("Autodiff.Kernels")
            .ShouldNot().HaveDependencyOnAny(s_aboveKernels).GetResult();
        Assert.That(result.IsSuccessful, Is.True, "kernels that reach above Kernels/: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Test]
    public void The_kernels_room_is_not_empty()
    {
        // A namespace typo would make the wall above hold vacuously.
        Assert.That(Types.InAssembly(s_engine).That().ResideInNamespace("Autodiff.Kernels").GetTypes().Count(), Is.GreaterThan(20));
    }

    [Test]
    public void The_engine_references_nothing_of_Autodiff_NN()
    {
        Assert.That(s_engine.GetReferencedAssemblies().Select(a => a.Name), Has.None.StartsWith("Autodiff.NN"));
        TestResult result = Types.InAssembly(s_engine).ShouldNot().HaveDependencyOn("Autodiff.NN").GetResult();
        Assert.That(result.IsSuccessful, Is.True, string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Test]
    public void Only_the_engines_own_tests_see_its_internals()
    {
        string[] friends = s_engine.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToArray();
        Assert.That(friends, Is.EqualTo(new[] { "Autodiff.Tests" }), "Autodiff.NN, the examples and the other tests must use the public API only");
    }

    [Test]
    public void No_other_project_declares_internals_visible_to_anyone()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Autodiff.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Autodiff.sln not found");
        }

        string engineProject = Path.Combine(root, "src", "Autodiff", "Autodiff.csproj");
        var declarations = new[] { "src", "examples", "tests", "bench" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith("proj", StringComparison.Ordinal) || f.EndsWith(".props", StringComparison.Ordinal))
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(f) != "WallTests.cs")
            .Where(f => File.ReadAllText(f).Contains("InternalsVisibleTo Include", StringComparison.Ordinal) || File.ReadAllText(f).Contains("[assembly: InternalsVisibleTo", StringComparison.Ordinal))
            .ToList();
        Assert.That(declarations, Is.EqualTo(new[] { engineProject }), "only the engine may open its internals, and only to its own tests");
    }
}
