using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Autodiff.Examples;

/// <summary>
/// What makes a console app read like a notebook: titled sections, short explanations, and checks whose results
/// are printed as they run and counted at the end. The process exits non-zero when any check failed.
/// </summary>
public sealed class Notebook
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _passed;
    private int _failed;

    public Notebook(string[] args, string title)
    {
        Quick = args.Contains("--quick");
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Console.WriteLine(title);
        Console.WriteLine(new string('=', title.Length));
        if (Quick)
        {
            Console.WriteLine("(quick mode: smaller runs, same checks)");
        }
    }

    /// <summary>Set by --quick: CI runs every example this way.</summary>
    public bool Quick { get; }

    public static void Section(string title)
    {
        Console.WriteLine();
        Console.WriteLine(title);
        Console.WriteLine(new string('-', title.Length));
    }

    public static void Text(string text) => Console.WriteLine(text);

    /// <summary>Checks |actual − expected| ≤ tolerance and prints both.</summary>
    public bool Check(string what, double actual, double expected, double tolerance)
    {
        bool ok = Math.Abs(actual - expected) <= tolerance;
        return Record(ok, $"{what}: {actual:G10} vs {expected:G10} (|diff| {Math.Abs(actual - expected):E1}, tol {tolerance:E0})");
    }

    public bool Check(string what, bool condition) => Record(condition, what);

    private bool Record(bool ok, string line)
    {
        if (ok)
        {
            _passed++;
        }
        else
        {
            _failed++;
        }

        Console.WriteLine($"  [{(ok ? "ok" : "FAIL")}] {line}");
        return ok;
    }

    /// <summary>Prints the tally, then the total time and the CPU (<see cref="TotalLine"/>); the exit code for Main.</summary>
    public int Finish()
    {
        Console.WriteLine();
        Console.WriteLine($"{_passed} checks passed, {_failed} failed");
        Console.WriteLine(TotalLine(_clock.Elapsed));
        return _failed == 0 ? 0 : 1;
    }

    /// <summary>
    /// The last line of every example, so that runs can be compared: "total 12.34 s on AMD EPYC (2 hardware threads)".
    /// </summary>
    public static string TotalLine(TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"total {elapsed.TotalSeconds:F2} s on {CpuName()} ({Environment.ProcessorCount} hardware threads)");

    /// <summary>The CPU model from /proc/cpuinfo on Linux; elsewhere (or without a "model name") the process architecture.</summary>
    public static string CpuName()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is int colon and >= 0)
                    {
                        string name = line[(colon + 1)..].Trim();
                        if (name.Length > 0)
                        {
                            return name;
                        }
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // unreadable: fall back to the architecture
        }

        return $"a {RuntimeInformation.ProcessArchitecture} CPU";
    }
}
