// Note 001: XOR with a 2-2-1 network (ReLU hidden layer, linear output, ½(ŷ − y)²), trained by minibatch
// gradient descent. Every step's 9 partial derivatives come from the tape; the hand-derived formulas of the note
// are evaluated beside them.
using Autodiff;
using Autodiff.Examples;

var nb = new Notebook(args, "XOR with a 2-2-1 ReLU network (note 001)");

double[,] inputs = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
double[] targets = [0, 1, 1, 0];

// W⁽¹⁾ = [[w1, w2], [w3, w4]] (one row per hidden unit), b⁽¹⁾ = [b1, b2], W⁽²⁾ = [w5, w6]ᵀ, b⁽²⁾ = b3.
// The note gives no starting point. A 2-2-1 ReLU network can stall from a bad one (a hidden unit that is never
// active gets no gradient), so the start is fixed here, away from the solution but with both units alive.
Tensor<double> w1 = Tensor.FromArray<double>([0.9, 1.1, 1.2, 0.8], 2, 2).RequiresGrad();
Tensor<double> b1 = Tensor.FromArray<double>([0.1, -0.9]).RequiresGrad();
Tensor<double> w2 = Tensor.FromArray<double>([0.8, -1.1], 2, 1).RequiresGrad();
Tensor<double> b2 = Tensor.FromArray<double>([0.2]).RequiresGrad();
Tensor<double>[] parameters = [w1, b1, w2, b2];
string[] names = ["w1", "w2", "w3", "w4", "b1", "b2", "w5", "w6", "b3"];

static double Relu(double z) => Math.Max(z, 0);

static double ReluPrime(double z) => z > 0 ? 1 : 0;   // note 001: σ′(z) = 0 for z ≤ 0

Tensor<double> Forward(Tensor<double> x) => x.MatMul(w1.Transpose()).Add(b1).Relu().MatMul(w2).Add(b2);

// The note's formulas, summed over the minibatch: ∂f/∂p = Σ (ŷ − y)·∂ŷ/∂p.
double[] HandGradients(int[] batch)
{
    double[] p = [.. w1.Span, .. b1.Span, .. w2.Span, .. b2.Span];
    (double pw1, double pw2, double pw3, double pw4, double pb1, double pb2, double pw5, double pw6, double pb3) =
        (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]);
    var g = new double[9];
    foreach (int n in batch)
    {
        double x1 = inputs[n, 0], x2 = inputs[n, 1];
        double z1 = (pw1 * x1) + (pw2 * x2) + pb1, z2 = (pw3 * x1) + (pw4 * x2) + pb2;
        double yHat = (pw5 * Relu(z1)) + (pw6 * Relu(z2)) + pb3;
        double e = yHat - targets[n];                                         // ∂f/∂ŷ
        g[0] += e * pw5 * ReluPrime(z1) * x1;
        g[1] += e * pw5 * ReluPrime(z1) * x2;
        g[2] += e * pw6 * ReluPrime(z2) * x1;
        g[3] += e * pw6 * ReluPrime(z2) * x2;
        g[4] += e * pw5 * ReluPrime(z1);
        g[5] += e * pw6 * ReluPrime(z2);
        g[6] += e * Relu(z1);
        g[7] += e * Relu(z2);
        g[8] += e;
    }

    return g; // in the tensors' layout: w1..w4, b1, b2, w5, w6, b3
}

Tensor<double> Batch(int[] batch, out Tensor<double> y)
{
    var x = new double[batch.Length * 2];
    var t = new double[batch.Length];
    for (int i = 0; i < batch.Length; i++)
    {
        (x[2 * i], x[(2 * i) + 1], t[i]) = (inputs[batch[i], 0], inputs[batch[i], 1], targets[batch[i]]);
    }

    y = Tensor.FromArray<double>(t, batch.Length, 1);
    return Tensor.FromArray<double>(x, batch.Length, 2);
}

Notebook.Section("1. The 9 partial derivatives on the first minibatch: tape beside note 001's formulas");
Notebook.Text("∂f/∂w1 = (ŷ − y)·w5·σ′(z1)·x1, …, ∂f/∂w5 = (ŷ − y)·σ(z1), ∂f/∂b3 = ŷ − y, with σ′(z) = 1 if z > 0 else 0.");
int[] first = [1, 3];
double[] hand = HandGradients(first);
using (var tape = new Tape())
{
    Tensor<double> x = Batch(first, out Tensor<double> y);
    Tensor<double> loss = Forward(x).Sub(y).Pow(2.0).Sum().Mul(0.5);
    Tensor<double>[] grads = tape.Gradient(loss, parameters);
    double[] fromTape = grads.SelectMany(g => g.ToArray()).ToArray();
    Console.WriteLine($"  {"p",-4} {"tape",14} {"hand",14}");
    for (int i = 0; i < 9; i++)
    {
        Console.WriteLine($"  {names[i],-4} {fromTape[i],14:F10} {hand[i],14:F10}");
        nb.Check($"∂f/∂{names[i]}", Math.Abs(fromTape[i] - hand[i]) <= 1e-15);
    }
}

Notebook.Section("2. Minibatch gradient descent");
Notebook.Text("For each epoch, for each minibatch of 2 (shuffled with a fixed seed): all 9 partials summed over the");
Notebook.Text("minibatch, then p ← p − ε·∂f/∂p. Each step also re-checks the tape against the formulas.");
const double Epsilon = 0.1;
int epochs = nb.Quick ? 300 : 1000;
var random = new Random(4);
double worstAgreement = 0;
for (int epoch = 0; epoch < epochs; epoch++)
{
    int[] order = [.. Enumerable.Range(0, 4).OrderBy(_ => random.Next())];
    for (int start = 0; start < 4; start += 2)
    {
        int[] batch = order[start..(start + 2)];
        hand = HandGradients(batch);
        using var tape = new Tape();
        Tensor<double> x = Batch(batch, out Tensor<double> y);
        Forward(x).Sub(y).Pow(2.0).Sum().Mul(0.5).Backward();
        int k = 0;
        foreach (Tensor<double> p in parameters)
        {
            Span<double> values = p.MutableSpan();
            ReadOnlySpan<double> g = p.Grad!.Span;
            for (int i = 0; i < values.Length; i++, k++)
            {
                worstAgreement = Math.Max(worstAgreement, Math.Abs(g[i] - hand[k]));
                values[i] -= Epsilon * g[i];
            }

            p.ZeroGrad();
        }
    }
}

Tensor<double> all = Batch([0, 1, 2, 3], out Tensor<double> yAll);
Tensor<double> predictions = Forward(all);
double mse = predictions.Sub(yAll).Pow(2.0).Mean().Item();
Console.WriteLine($"  after {epochs} epochs: MSE = {mse:E3}");
for (int n = 0; n < 4; n++)
{
    Console.WriteLine($"    XOR({inputs[n, 0]}, {inputs[n, 1]}) = {targets[n]}   network: {predictions.Span[n],8:F5}");
}

Console.WriteLine($"  learned: W⁽¹⁾ = [{string.Join(", ", w1.Span.ToArray().Select(v => v.ToString("F3")))}], b⁽¹⁾ = [{string.Join(", ", b1.Span.ToArray().Select(v => v.ToString("F3")))}], " +
    $"W⁽²⁾ = [{string.Join(", ", w2.Span.ToArray().Select(v => v.ToString("F3")))}], b⁽²⁾ = {b2.Span[0]:F3}");
nb.Check($"tape and formulas agreed at every step (worst |diff| {worstAgreement:E1})", worstAgreement <= 1e-14);
nb.Check("converged: MSE below 1e-4", mse < 1e-4);
nb.Check("every XOR case rounds to the right answer", Enumerable.Range(0, 4).All(n => Math.Round(predictions.Span[n]) == targets[n]));

return nb.Finish();
