using System.Globalization;
using ScottPlot;

namespace Autodiff.Bench;

/// <summary>
/// Draws docs/benchmarks-training.png from BenchmarkDotNet's CSV reports of <see cref="TrainingStepBenchmarks"/> and
/// <see cref="FashionMnistEpochBenchmarks"/>: for each case, how many times faster ours is than TorchSharp (the
/// ratio of the medians), beside the 1.5× target.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/Autodiff.Bench -- chart [results directory] [png]</c>; the defaults are
/// BenchmarkDotNet.Artifacts/results and docs/benchmarks-training.png.
/// </remarks>
internal static class ResultsChart
{
    public static int Write(string resultsDirectory, string png)
    {
        var cases = new List<(string Label, double Speedup)>();
        cases.AddRange(Speedups(Path.Combine(resultsDirectory, "Autodiff.Bench.TrainingStepBenchmarks-report.csv"), row => $"step, batch {row["Batch"]}\n{Threads(row)}"));
        cases.AddRange(Speedups(Path.Combine(resultsDirectory, "Autodiff.Bench.FashionMnistEpochBenchmarks-report.csv"), row => $"epoch\n{Threads(row)}"));
        if (cases.Count == 0)
        {
            Console.Error.WriteLine($"chart: no TrainingStepBenchmarks or FashionMnistEpochBenchmarks report in {resultsDirectory}; run them first.");
            return 1;
        }

        var plot = new Plot();
        plot.Title("MLP 784-128-10 training, SGD: TorchSharp time ÷ Autodiff time (median)");
        plot.YLabel("times faster than TorchSharp");
        var bars = plot.Add.Bars(cases.Select(c => c.Speedup).ToArray());
        for (int i = 0; i < bars.Bars.Count; i++)
        {
            bars.Bars[i].Label = cases[i].Speedup.ToString("F2", CultureInfo.InvariantCulture) + "×";
        }

        bars.ValueLabelStyle.FontSize = 14;
        var target = plot.Add.HorizontalLine(1.5);
        target.LinePattern = LinePattern.Dashed;
        target.LegendText = "target 1.5×";
        var parity = plot.Add.HorizontalLine(1.0);
        parity.LegendText = "TorchSharp";
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, cases.Count).Select(i => (double)i).ToArray(), cases.Select(c => c.Label).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsY(0, Math.Max(2.0, cases.Max(c => c.Speedup) * 1.15));
        plot.ShowLegend(Alignment.UpperLeft);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(png))!);
        plot.SavePng(png, 900, 500);
        Console.WriteLine($"chart: {png}");
        foreach ((string label, double speedup) in cases)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {label.Replace('\n', ' '),-30} {speedup:F2}×"));
        }

        return 0;
    }

    private static string Threads(Dictionary<string, string> row) => row["Threads"] == "1" ? "1 thread" : $"{row["Threads"]} threads";

    /// <summary>TorchSharp's median ÷ ours for each parameter combination in one report.</summary>
    private static IEnumerable<(string Label, double Speedup)> Speedups(string csv, Func<Dictionary<string, string>, string> label)
    {
        if (!File.Exists(csv))
        {
            yield break;
        }

        string[] lines = File.ReadAllLines(csv);
        string[] header = SplitCsv(lines[0]);
        var rows = lines.Skip(1).Select(l => header.Zip(SplitCsv(l)).ToDictionary(p => p.First, p => p.Second)).ToList();
        foreach (var group in rows.GroupBy(label))
        {
            var torch = group.FirstOrDefault(r => r["Method"] == "TorchSharp");
            var ours = group.FirstOrDefault(r => r["Method"] == "Autodiff");
            if (torch is not null && ours is not null)
            {
                yield return (group.Key, Nanoseconds(torch["Median"]) / Nanoseconds(ours["Median"]));
            }
        }
    }

    /// <summary>One CSV line's fields; a quoted field may hold commas ("2,137.5 μs").</summary>
    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char ch in line)
        {
            if (ch == '"')
            {
                quoted = !quoted;
            }
            else if (ch == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(ch);
            }
        }

        fields.Add(field.ToString());
        return [.. fields];
    }

    /// <summary>"742.8 μs" → 742800.</summary>
    private static double Nanoseconds(string value)
    {
        string[] parts = value.Trim('"').Split(' ');
        double number = double.Parse(parts[0], NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        return number * parts[1] switch
        {
            "ns" => 1,
            "μs" or "us" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            _ => throw new FormatException($"chart: unknown time unit in '{value}'."),
        };
    }
}
