using ScottPlot;

namespace Autodiff.Examples;

/// <summary>Loss curves as PNG files (ScottPlot renders headless).</summary>
public static class Charts
{
    /// <summary>Writes one line per named series against the epoch to plots/&lt;file&gt; and returns the full path.</summary>
    public static string LossCurves(string file, string title, params (string Name, IReadOnlyList<double> Values)[] series)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("loss");
        foreach ((string name, IReadOnlyList<double> values) in series)
        {
            double[] xs = Enumerable.Range(1, values.Count).Select(i => (double)i).ToArray();
            var line = plot.Add.ScatterLine(xs, values.ToArray());
            line.LegendText = name;
            line.MarkerSize = 3;
        }

        plot.ShowLegend();
        string path = Path.Combine(Directory.CreateDirectory("plots").FullName, file);
        plot.SavePng(path, 800, 500);
        return path;
    }
}
