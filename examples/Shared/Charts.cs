using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Autodiff.Examples;

/// <summary>
/// Line charts as PNG files (ScottPlot renders headless), drawn so that they can be read at a glance: the legend
/// beside the data, never over it; the x-axis from the first point to the last, not beyond; and a log scale for
/// values that span decades, so that the first epoch's loss does not flatten the rest.
/// </summary>
public static class Charts
{
    /// <summary>The size of every chart, in pixels.</summary>
    public const int Width = 800, Height = 500;

    /// <summary>How the y-axis is scaled.</summary>
    public enum Scale
    {
        /// <summary>Logarithmic when every value is positive and the largest is at least ten times the smallest.</summary>
        Auto,

        /// <summary>Linear.</summary>
        Linear,

        /// <summary>Logarithmic (every value must be positive).</summary>
        Log,
    }

    /// <summary>One named line through the points (X[i], Y[i]).</summary>
    public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y)
    {
        /// <summary>Values per epoch: the first is epoch 1.</summary>
        public static Series PerEpoch(string name, IReadOnlyList<double> values) =>
            new(name, Enumerable.Range(1, values.Count).Select(e => (double)e).ToArray(), values);
    }

    /// <summary>
    /// Writes one line per named series against the epoch to plots/&lt;file&gt; and returns the full path. The y-axis
    /// is logarithmic when the losses span a decade or more (<see cref="Scale.Auto"/>).
    /// </summary>
    public static string LossCurves(string file, string title, params (string Name, IReadOnlyList<double> Values)[] series) =>
        Lines(file, title, "epoch", "loss", [.. series.Select(s => Series.PerEpoch(s.Name, s.Values))], Scale.Auto, integerX: true);

    /// <summary>
    /// Writes each series against the wall-clock time in seconds (its X) to plots/&lt;file&gt;, e.g. validation
    /// bits per character of several models against training time; returns the full path.
    /// </summary>
    public static string AgainstTime(string file, string title, string yLabel, Scale yScale, params Series[] series) =>
        Lines(file, title, "time (s)", yLabel, series, yScale, integerX: false);

    /// <summary>Writes any named series on one chart to plots/&lt;file&gt; and returns the full path.</summary>
    public static string Lines(string file, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, Scale yScale = Scale.Auto, bool integerX = false)
    {
        ArgumentOutOfRangeException.ThrowIfZero(series.Count);
        bool log = yScale switch
        {
            Scale.Log => true,
            Scale.Linear => false,
            _ => SpansDecade(series.SelectMany(s => s.Y)),
        };

        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(log ? $"{yLabel} (log scale)" : yLabel);
        foreach (Series s in series)
        {
            if (s.X.Count != s.Y.Count)
            {
                throw new ArgumentException($"series '{s.Name}': {s.X.Count} x values for {s.Y.Count} y values");
            }

            if (log && s.Y.Any(y => !(y > 0)))
            {
                throw new ArgumentException($"series '{s.Name}' has a value ≤ 0, which a log scale cannot show");
            }

            double[] ys = log ? [.. s.Y.Select(Math.Log10)] : [.. s.Y];
            var line = plot.Add.ScatterLine(s.X.ToArray(), ys);
            line.LegendText = s.Name;
            line.LineWidth = 2;
            line.MarkerSize = s.X.Count <= 60 ? 5 : 0;
        }

        // The x-axis runs from the first point to the last (half a step either side of a single point).
        double xMin = series.Min(s => s.X.Min()), xMax = series.Max(s => s.X.Max());
        if (xMin == xMax)
        {
            (xMin, xMax) = (xMin - 0.5, xMax + 0.5);
        }

        plot.Axes.SetLimitsX(xMin, xMax);
        if (integerX)
        {
            plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        }

        if (log)
        {
            double lo = series.Min(s => s.Y.Min(Math.Log10)), hi = series.Max(s => s.Y.Max(Math.Log10));
            LogAxis(plot, lo, hi);
        }

        plot.ShowLegend(Edge.Right);
        string path = Path.Combine(Directory.CreateDirectory("plots").FullName, file);
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>True when every value is positive and the largest is at least ten times the smallest.</summary>
    public static bool SpansDecade(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = 0;
        foreach (double v in values)
        {
            if (!(v > 0) || !double.IsFinite(v))
            {
                return false;
            }

            (min, max) = (Math.Min(min, v), Math.Max(max, v));
        }

        return max >= 10 * min;
    }

    /// <summary>
    /// Makes the left axis of a plot whose y values are log₁₀ of the data read as the data: limits from
    /// <paramref name="lo"/> to <paramref name="hi"/> (log₁₀ values) with a 5 % margin, labels at powers of ten
    /// (also at 2 and 5 between them when the range spans fewer than four decades; only at every k-th decade when it
    /// spans many), unlabelled ticks at the other multiples; within less than a decade, at round values.
    /// </summary>
    public static void LogAxis(Plot plot, double lo, double hi)
    {
        double margin = Math.Max(0.05 * (hi - lo), 0.05);
        (double bottom, double top) = (lo - margin, hi + margin);
        plot.Axes.SetLimitsY(bottom, top);

        var ticks = new NumericManual();
        double span = top - bottom;
        if (span < 1)
        {
            // Less than a decade: labels at round values (…, 6, 8, 10, 12, …), placed where their logarithms are.
            (double low, double high) = (Math.Pow(10, bottom), Math.Pow(10, top));
            double raw = (high - low) / 6, unit = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double step = unit * (raw / unit < 1.5 ? 1 : raw / unit < 3.5 ? 2 : raw / unit < 7.5 ? 5 : 10);
            for (double v = Math.Ceiling(low / step) * step; v <= high; v += step)
            {
                ticks.AddMajor(Math.Log10(v), v.ToString("G4", CultureInfo.InvariantCulture));
            }
        }
        else
        {
            int stride = span <= 10 ? 1 : span <= 20 ? 2 : span <= 50 ? 5 : span <= 100 ? 10 : 50;
            for (int k = (int)Math.Floor(bottom); k <= (int)Math.Ceiling(top); k++)
            {
                if (k >= bottom && k <= top)
                {
                    if (k % stride == 0)
                    {
                        ticks.AddMajor(k, PowerOfTen(1, k));
                    }
                    else
                    {
                        ticks.AddMinor(k);
                    }
                }

                if (stride > 1)
                {
                    continue;   // many decades: the multiples within one would be a smear
                }

                for (int m = 2; m <= 9; m++)
                {
                    double position = k + Math.Log10(m);
                    if (position >= bottom && position <= top)
                    {
                        if (span < 4 && m is 2 or 5)
                        {
                            ticks.AddMajor(position, PowerOfTen(m, k));
                        }
                        else
                        {
                            ticks.AddMinor(position);
                        }
                    }
                }
            }
        }

        plot.Axes.Left.TickGenerator = ticks;
        plot.Grid.MinorLineWidth = 1;
        plot.Grid.MinorLineColor = Colors.Black.WithOpacity(0.05);
    }

    /// <summary>m·10ᵏ as a label: plain digits from 0.001 to 1000, "m·10ᵏ" with a superscript exponent beyond.</summary>
    public static string PowerOfTen(int m, int k)
    {
        if (k is >= -3 and <= 3)
        {
            return (m * Math.Pow(10, k)).ToString("0.###", CultureInfo.InvariantCulture);
        }

        string exponent = string.Concat(k.ToString(CultureInfo.InvariantCulture).Select(c => c == '-' ? '⁻' : "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']));
        return m == 1 ? $"10{exponent}" : $"{m}·10{exponent}";
    }
}
