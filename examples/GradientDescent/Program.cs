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
Console.WriteLine($"  {"η",-10} {"x after",14} {"y after",14} {"f after",14}   closed form x₀(1−3η)ᵗ, y₀(1−2η)ᵗ");
for (int r = 0; r < etas.Length; r++)
{
    double eta = etas[r];
    (_, double[] xs, double[] ys, double[] loss) = runs[r];
    double xClosed = X0 * Math.Pow(1 - (3 * eta), steps), yClosed = Y0 * Math.Pow(1 - (2 * eta), steps);
    Console.WriteLine($"  {eta,-10} {xs[^1],14:E4} {ys[^1],14:E4} {loss[^1],14:F8}   ({xClosed:E4}, {yClosed:E4})");
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

Notebook.Section("3. Plots");
string outDir = Directory.CreateDirectory("plots").FullName;
var trajectories = new Plot();
trajectories.Title("Gradient descent on f(x, y) = 1.5x² + y² + 2");
trajectories.XLabel("x");
trajectories.YLabel("y");
var colors = new[] { Colors.Blue, Colors.Green, Colors.Red };
for (int r = 0; r < etas.Length; r++)
{
    var line = trajectories.Add.ScatterLine(runs[r].Xs, runs[r].Ys, colors[r]);
    line.LegendText = $"η = {etas[r]}";
    line.MarkerSize = 3;
}

trajectories.ShowLegend();
string trajPath = Path.Combine(outDir, "gd-trajectories.png");
trajectories.SavePng(trajPath, 800, 600);

var curves = new Plot();
curves.Title("f(θₜ) − 2 (log₁₀) against the step t");
curves.XLabel("step t");
curves.YLabel("log₁₀(f − 2)");
for (int r = 0; r < etas.Length; r++)
{
    double[] logLoss = Descent.LogExcess(runs[r]);
    var line = curves.Add.ScatterLine(Enumerable.Range(0, logLoss.Length).Select(i => (double)i).ToArray(), logLoss, colors[r]);
    line.LegendText = $"η = {etas[r]}";
    line.MarkerSize = 0;
}

curves.ShowLegend();
string lossPath = Path.Combine(outDir, "gd-loss.png");
curves.SavePng(lossPath, 800, 600);
Console.WriteLine($"  wrote {trajPath}");
Console.WriteLine($"  wrote {lossPath}");
nb.Check("both PNG files were written", new FileInfo(trajPath).Length > 1000 && new FileInfo(lossPath).Length > 1000);

return nb.Finish();
