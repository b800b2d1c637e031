using System.Diagnostics;
using System.Globalization;
using Autodiff.NN.Serialization;

namespace Autodiff.NN.Tests.Recurrent;

/// <summary>
/// The committed PyTorch fixtures (tests/fixtures/pytorch, made by make_fixtures.py) and the comparison they are
/// held to: 1e-5 relative, with 1e-6 absolute for elements near zero.
/// </summary>
internal static class PyTorchFixtures
{
    public const double Relative = 1e-5;
    public const double Absolute = 1e-6;

    /// <summary>tests/fixtures/pytorch under the repository root (the first folder above the tests' output holding Autodiff.sln).</summary>
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Autodiff.sln")))
                {
                    return Path.Combine(dir.FullName, "tests", "fixtures", "pytorch");
                }
            }

            throw new InvalidOperationException("Autodiff.sln not found above " + TestContext.CurrentContext.TestDirectory);
        }
    }

    /// <summary>The state dict PyTorch saved for <paramref name="name"/>, and its inputs, outputs, loss weights and gradients.</summary>
    public static (Dictionary<string, Tensor<float>> State, Dictionary<string, Tensor<float>> Data) Load(string name)
        => (SafeTensors.Load(Path.Combine(Directory, name + ".state.safetensors")),
            SafeTensors.Load(Path.Combine(Directory, name + ".data.safetensors")));

    /// <summary>Largest |a − b| and |a − b|/|b|, and whether every element is within the tolerance.</summary>
    public static (double Abs, double Rel, bool Within) Compare(Tensor<float> actual, Tensor<float> expected)
    {
        Assert.That(actual.ShapeArray(), Is.EqualTo(expected.ShapeArray()), "shape");
        double worstAbs = 0, worstRel = 0;
        bool within = true;
        ReadOnlySpan<float> a = actual.Span, b = expected.Span;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = Math.Abs((double)a[i] - b[i]), scale = Math.Abs((double)b[i]);
            worstAbs = Math.Max(worstAbs, diff);
            worstRel = Math.Max(worstRel, diff / Math.Max(scale, Absolute));
            within &= diff <= (Relative * scale) + Absolute;
        }

        return (worstAbs, worstRel, within);
    }

    /// <summary>Compares each pair, prints one line per pair and the worst of all, and fails on any outside the tolerance.</summary>
    public static void AssertClose(string fixture, IEnumerable<(string Name, Tensor<float> Actual, Tensor<float> Expected)> pairs)
    {
        double worstAbs = 0, worstRel = 0;
        var failures = new List<string>();
        foreach ((string name, Tensor<float> actual, Tensor<float> expected) in pairs)
        {
            (double abs, double rel, bool within) = Compare(actual, expected);
            worstAbs = Math.Max(worstAbs, abs);
            worstRel = Math.Max(worstRel, rel);
            string line = string.Create(CultureInfo.InvariantCulture, $"{fixture} {name}: max abs {abs:E2}, max rel {rel:E2}");
            TestContext.Out.WriteLine(line);
            if (!within)
            {
                failures.Add(line);
            }
        }

        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{fixture} overall: max abs {worstAbs:E2}, max rel {worstRel:E2}"));
        Assert.That(failures, Is.Empty, $"outside {Relative:E0} relative + {Absolute:E0} absolute");
    }

    /// <summary>
    /// Debian's Python with python3-torch, or null: /usr/bin/python3 first (where the package installs; a python3
    /// earlier on the PATH, such as pyenv's, may not see it), then python3 from the PATH.
    /// </summary>
    public static string? PythonWithTorch()
    {
        foreach (string python in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                (int exit, _) = Run(python, ["-c", "import torch"], TimeSpan.FromMinutes(1));
                if (exit == 0)
                {
                    return python;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed under this name
            }
        }

        return null;
    }

    /// <summary>Runs a process to its end and returns its exit code and everything it printed.</summary>
    public static (int Exit, string Output) Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeout}.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
