using System.Globalization;

namespace Autodiff.Examples;

/// <summary>
/// What makes a console app read like a notebook: titled sections, short explanations, and checks whose results
/// are printed as they run and counted at the end. The process exits non-zero when any check failed.
/// </summary>
public sealed class Notebook
{
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

    /// <summary>Prints the tally; the exit code for Main.</summary>
    public int Finish()
    {
        Console.WriteLine();
        Console.WriteLine($"{_passed} checks passed, {_failed} failed");
        return _failed == 0 ? 0 : 1;
    }
}
