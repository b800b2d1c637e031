// Note 004: gradient descent on f(x, y) = 1.5x² + y² + 2 from one start with three learning rates.
// The gradient comes from the tape each step; the closed form of the iteration checks it.
using Autodiff.Examples;
using ScottPlot;

var nb = new Notebook(args, "Gradient descent on f(x, y) = 1.5x² + y² + 2 (note 004)");
const double X0 = Descent.X0, Y0 = Descent.Y0;
int steps = nb.Quick ? 60 : 200;

Notebook.Section("1. The update");
Notebook.Text("∇f = (3x, 2y), so one step θ ← θ − η∇f is x ← (1 − 3η)x and y ← (1 − 2η)y.");
Notebook.Text("Each coordinate shrinks geometrically while |1 − 3η| < 1 and |1 − 2η| < 1. The x-direction is the");
Notebook.Text("steeper one (curvature 3 against 2): it stops converging once 3η > 2, i.e. η > 2/3 ≈ 0.666667, where");
Notebook.Text("each step overshoots the minimum by more than it started from. η = 0.665757 sits just below that edge:");
Notebook.Text("x flips sign every step and shrinks by only |1 − 3η| = 0.997271 per step.");

double[] etas = [0.1, 0.001, 0.665757];
var runs = etas.Select(eta => Descent.Run(eta, steps)).ToArray();

Notebook.Section($"2. {steps} steps from (x, y) = ({X0}, {Y0}), f = {Descent.F(X0, Y0)}");
Console.WriteLine($"  {"η",-10} {"x after",14} {"y after",14} {"f after",12} {"1.5x² + y²",12}   closed form x₀(1−3η)ᵗ, y₀(1−2η)ᵗ");
for (int r = 0; r < etas.Length; r++)
{
    double eta = etas[r];
    (_, double[] xs, double[] ys, double[] loss) = runs[r];
    double xClosed = X0 * Math.Pow(1 - (3 * eta), steps), yClosed = Y0 * Math.Pow(1 - (2 * eta), steps);
    Console.WriteLine($"  {eta,-10} {xs[^1],14:E4} {ys[^1],14:E4} {loss[^1],12:F8} {Descent.Excess(xs[^1], ys[^1]),12:E4}   ({xClosed:E4}, {yClosed:E4})");
    nb.Check($"η = {eta}: x after {steps} steps equals x₀(1−3η)ᵗ", Math.Abs(xs[^1] - xClosed) <= 1e-12 * Math.Max(1, Math.Abs(xClosed)));
    nb.Check($"η = {eta}: y after {steps} steps equals y₀(1−2η)ᵗ", Math.Abs(ys[^1] - yClosed) <= 1e-12 * Math.Max(1, Math.Abs(yClosed)));
}

nb.Check("η = 0.1 converges: f is within 1e-6 of the minimum 2", runs[0].F[^1] - 2 < 1e-6);
nb.Check("η = 0.001 is slow: f − 2 is still above a quarter of its start", runs[1].F[^1] - 2 > 0.25 * (Descent.F(X0, Y0) - 2));
nb.Check("η = 0.665757: x oscillates (alternating sign)", Math.Sign(runs[2].Xs[1]) == -Math.Sign(runs[2].Xs[0]) && Math.Sign(runs[2].Xs[2]) == Math.Sign(runs[2].Xs[0]));
nb.Check("η = 0.665757: |x| shrinks, but slowly (|x| > 0.5·|x₀| after all steps)", Math.Abs(runs[2].Xs[^1]) < X0 && Math.Abs(runs[2].Xs[^1]) > 0.5 * X0);
double[] divergingX = Descent.Run(0.7, 20).Xs;
Console.WriteLine($"  and just past the edge, η = 0.7: |x| grows by |1 − 2.1| = 1.1 per step, |x₂₀| = {Math.Abs(divergingX[^1]):F3}");
nb.Check("η = 0.7 > 2/3: the x-direction diverges", Math.Abs(divergingX[^1]) > X0);

int roundsToTwo = Array.IndexOf(runs[0].F, 2.0);
Console.WriteLine();
if (roundsToTwo >= 0)
{
    Notebook.Text($"For η = 0.1, f(θ) is exactly 2.0 in double from step {roundsToTwo} on: f − 2 = 1.5x² + y² is then below");
    Notebook.Text($"2⁻⁵² ≈ {Descent.FEqualsTwoBelow:E2}, half the spacing of the doubles near 2, and f − 2 computed in double is 0.");
    Notebook.Text("The loss plot therefore draws 1.5x² + y² itself, which keeps falling geometrically, and marks that level.");
}

double[] excess01 = Descent.LogExcess(runs[0]);
nb.Check("η = 0.1: log₁₀(1.5x² + y²) falls by at most 2·|log₁₀ 0.7| per step (no cliff where f rounds to 2)",
    excess01.Zip(excess01.Skip(1), (a, b) => a - b).All(d => d > 0 && d <= (2 * -Math.Log10(0.7)) + 1e-9));

Notebook.Section("3. Plots");
var colors = new[] { Colors.Blue, Colors.Green, Colors.Red };

// The trajectories: one panel per learning rate, each zoomed to its path, and one with all three; equal units on
// both axes, so that the level sets of f are the ellipses they are.
void DrawLevelSets(Plot plot, bool legend)
{
    // f − 2 = c is the ellipse x = √(c/1.5)·cos s, y = √c·sin s; the outermost passes through the start.
    double c0 = Descent.Excess(X0, Y0);
    for (int k = 0; k <= 7; k++)
    {
        double c = c0 / Math.Pow(2, k);
        double[] s = [.. Enumerable.Range(0, 201).Select(i => 2 * Math.PI * i / 200)];
        var level = plot.Add.ScatterLine(s.Select(a => Math.Sqrt(c / 1.5) * Math.Cos(a)).ToArray(), s.Select(a => Math.Sqrt(c) * Math.Sin(a)).ToArray(), Colors.Gray.WithOpacity(0.6));
        level.LineWidth = 1;
        level.MarkerSize = 0;
        if (legend && k == 0)
        {
            level.LegendText = $"f = 2 + {c0}·2⁻ᵏ";
        }
    }
}

void DrawPath(Plot plot, int r, bool legend)
{
    var path = plot.Add.ScatterLine(runs[r].Xs, runs[r].Ys, colors[r]);
    path.LineWidth = 1.5f;
    path.MarkerSize = 3;
    var end = plot.Add.Marker(runs[r].Xs[^1], runs[r].Ys[^1], MarkerShape.OpenCircle, 12, colors[r]);
    end.LineWidth = 2;
    if (legend)
    {
        path.LegendText = $"η = {etas[r]}";
    }
}

void DrawEnds(Plot plot, bool legend)
{
    var start = plot.Add.Marker(X0, Y0, MarkerShape.FilledCircle, 10, Colors.Black);
    var minimum = plot.Add.Marker(0, 0, MarkerShape.FilledDiamond, 11, Colors.DarkOrange);
    if (legend)
    {
        start.LegendText = $"start ({X0}, {Y0})";
        minimum.LegendText = "minimum (0, 0)";
    }
}

var panels = new List<Plot>();
(double Left, double Right, double Bottom, double Top)[] frames = [(-0.3, 3.4, -0.3, 2.3), (1.2, 3.2, 1.0, 2.15), (-3.4, 3.4, -0.9, 2.3)];
for (int r = 0; r < etas.Length; r++)
{
    var panel = new Plot();
    DrawLevelSets(panel, legend: false);
    DrawPath(panel, r, legend: false);
    DrawEnds(panel, legend: false);
    panel.Title($"η = {etas[r]}: x ×{Signed(1 - (3 * etas[r]))}, y ×{Signed(1 - (2 * etas[r]))} per step", size: 13);
    panel.XLabel("x");
    panel.YLabel("y");
    panel.Axes.SetLimits(frames[r].Left, frames[r].Right, frames[r].Bottom, frames[r].Top);
    panel.Axes.SquareUnits();
    panels.Add(panel);
}

var overview = new Plot();
DrawLevelSets(overview, legend: true);
for (int r = 0; r < etas.Length; r++)
{
    DrawPath(overview, r, legend: true);
}

DrawEnds(overview, legend: true);
overview.Title($"all three; ○ where each is after {steps} steps", size: 13);
overview.XLabel("x");
overview.YLabel("y");
overview.Axes.SetLimits(-3.4, 3.4, -2.4, 2.4);
overview.Axes.SquareUnits();
overview.ShowLegend(Edge.Right);
panels.Add(overview);
string trajPath = Path.Combine(Directory.CreateDirectory("plots").FullName, "gd-trajectories.png");
SaveMultiplot(trajPath, panels, new ScottPlot.MultiplotLayouts.Grid(rows: 2, columns: 2), 1000, 720);

// The loss: log₁₀ of the excess 1.5x² + y² (what f − 2 is, without the cancellation), all three runs above, the two
// slow ones zoomed below; the level below which f(θ) = 2 exactly in double drawn as a line.
var curves = new List<Plot>();
double[][] logExcess = [.. runs.Select(Descent.LogExcess)];
double[] steps0 = [.. Enumerable.Range(0, steps + 1).Select(t => (double)t)];
for (int panel = 0; panel < 2; panel++)
{
    var plot = new Plot();
    int[] shown = panel == 0 ? [0, 1, 2] : [1, 2];
    foreach (int r in shown)
    {
        var line = plot.Add.ScatterLine(steps0, logExcess[r], colors[r]);
        line.LegendText = $"η = {etas[r]}";
        line.LineWidth = 2;
        line.MarkerSize = 0;
    }

    double lo = shown.Min(r => logExcess[r].Min()), hi = shown.Max(r => logExcess[r].Max());
    if (panel == 0)
    {
        double floor = Math.Log10(Descent.FEqualsTwoBelow);
        var precision = plot.Add.HorizontalLine(floor, 1.5f, Colors.Black, LinePattern.Dashed);
        precision.LegendText = $"2⁻⁵² ≈ {Descent.FEqualsTwoBelow:0.0e0}";
        var label = plot.Add.Text("below this line, f(θ) = 2 exactly in double", 2, floor);
        label.Alignment = Alignment.UpperLeft;
        label.LabelFontSize = 12;
        label.OffsetY = 2;
        lo = Math.Min(lo, floor - 2);   // the line and its label stay in view in a short (--quick) run
        plot.Title($"f(θₜ) − 2 = 1.5xₜ² + yₜ², computed without cancellation ({steps} steps)", size: 14);
    }
    else
    {
        plot.Title("the two slow runs, zoomed in", size: 13);
    }

    plot.XLabel("step t");
    plot.YLabel("f − 2 (log scale)");
    Charts.LogAxis(plot, lo, hi);
    plot.Axes.SetLimitsX(0, steps);
    plot.ShowLegend(Edge.Right);
    plot.Layout.Fixed(new PixelPadding(left: 80, right: 170, bottom: 50, top: 35));   // the two panels' data areas aligned
    curves.Add(plot);
}

string lossPath = Path.Combine(Directory.CreateDirectory("plots").FullName, "gd-loss.png");
SaveMultiplot(lossPath, curves, new ScottPlot.MultiplotLayouts.Rows(), 900, 750);
Console.WriteLine($"  wrote {trajPath}");
Console.WriteLine($"  wrote {lossPath}");
nb.Check("both PNG files were written", new FileInfo(trajPath).Length > 1000 && new FileInfo(lossPath).Length > 1000);

return nb.Finish();

// 0.7, −0.997271: a factor with a true minus sign.
static string Signed(double v) => v.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture).Replace('-', '−');

// Several plots in one PNG, arranged by the layout.
static void SaveMultiplot(string path, List<Plot> plots, IMultiplotLayout layout, int width, int height)
{
    var multiplot = new Multiplot(plots[0]) { Layout = layout };
    foreach (Plot plot in plots.Skip(1))
    {
        multiplot.AddPlot(plot);
    }

    multiplot.SavePng(path, width, height);
}
