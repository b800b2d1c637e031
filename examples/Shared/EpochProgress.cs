using Spectre.Console;

namespace Autodiff.Examples;

/// <summary>
/// Training progress: a live Spectre.Console bar in a terminal, one plain line per reported epoch when the output
/// is redirected (CI logs, pipes), where a live display would only add escape codes.
/// </summary>
public static class EpochProgress
{
    /// <summary>Runs <paramref name="epoch"/> for 1 … <paramref name="epochs"/>; it returns a status line for that epoch.</summary>
    public static void Run(string title, int epochs, Func<int, string> epoch)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            for (int e = 1; e <= epochs; e++)
            {
                string status = epoch(e);
                if (e == 1 || e == epochs || e % Math.Max(1, epochs / 10) == 0)
                {
                    Console.WriteLine($"  epoch {e,3}/{epochs}  {status}");
                }
            }

            return;
        }

        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                ProgressTask task = ctx.AddTask(title, maxValue: epochs);
                for (int e = 1; e <= epochs; e++)
                {
                    string status = epoch(e);
                    task.Description = $"{title} — epoch {e}/{epochs}  {Markup.Escape(status)}";
                    task.Increment(1);
                }
            });
    }
}
