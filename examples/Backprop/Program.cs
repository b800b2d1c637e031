// The δ (error) recursion of notes 002 and 003, by hand, beside the tape.
// A small network with logistic hidden layers and a softmax output trained with cross-entropy. The hand-written
// backward pass uses only the matrix formulas of the notes; the tape uses nothing but the forward pass.
using Autodiff;
using Autodiff.Examples;

var nb = new Notebook(args, "Backpropagation: the δ recursion by hand and on the tape");

// Layer sizes and a mini-batch of N samples (rows). Following note 002, W[i] has one row per input j and one
// column per unit k (z_k = Σ_j a_j W_jk + b_k), so a batch of rows goes through as Z = A·W + b.
int[] sizes = [4, 5, 3, 2];
const int N = 6;
Tensor<double> x = Tensor.RandomNormal<double>([N, sizes[0]], seed: 7);
int[] labels = [0, 1, 1, 0, 1, 0];
var onehot = new double[N * 2];
for (int n = 0; n < N; n++)
{
    onehot[(n * 2) + labels[n]] = 1;
}

Tensor<double> t = Tensor.FromArray<double>(onehot, N, 2);
var weights = new Tensor<double>[3];
var biases = new Tensor<double>[3];
for (int i = 0; i < 3; i++)
{
    weights[i] = Tensor.RandomNormal<double>([sizes[i], sizes[i + 1]], seed: 10 + i, std: 0.8).RequiresGrad();
    biases[i] = Tensor.RandomNormal<double>([sizes[i + 1]], seed: 20 + i, std: 0.1).RequiresGrad();
}

Notebook.Section("1. Forward pass, recorded on the tape");
Notebook.Text("z⁽ⁱ⁾ = a⁽ⁱ⁻¹⁾W⁽ⁱ⁾ + b⁽ⁱ⁾,  a⁽ⁱ⁾ = σ(z⁽ⁱ⁾) for the hidden layers,  ŷ = softmax(z⁽³⁾),");
Notebook.Text("D = −(1/N) Σₙ Σ_c t_nc log ŷ_nc  (cross-entropy, note 003).");
using var tape = new Tape();
var z = new Tensor<double>[3];
var a = new Tensor<double>[4];
a[0] = x;
for (int i = 0; i < 3; i++)
{
    z[i] = a[i].MatMul(weights[i]).Add(biases[i]);
    a[i + 1] = i < 2 ? z[i].Sigmoid() : z[i].Softmax();
}

Tensor<double> loss = t.Mul(z[2].LogSoftmax()).Sum().Mul(-1.0 / N);
Console.WriteLine($"  loss D = {loss.Item():F6}; {tape.TensorCount} tensor ops on the tape");

Notebook.Section("2. Backward pass by hand: the δ recursion");
Notebook.Text("δ⁽³⁾ = ∂D/∂z⁽³⁾ = (ŷ − t)/N                       (softmax with cross-entropy)");
Notebook.Text("δ⁽ⁱ⁾ = (δ⁽ⁱ⁺¹⁾ W⁽ⁱ⁺¹⁾ᵀ) ⊙ σ′(z⁽ⁱ⁾),  σ′ = a(1 − a)      (note 002: g′ = a(1 − a) for the logistic)");
Notebook.Text("∇_W⁽ⁱ⁾ D = a⁽ⁱ⁻¹⁾ᵀ δ⁽ⁱ⁾,  ∇_b⁽ⁱ⁾ D = Σₙ δ⁽ⁱ⁾ₙ           (note 003: ∇_W D = y ∇_z D, y the layer's input)");
var delta = new Tensor<double>[3];
var gradW = new Tensor<double>[3];
var gradB = new Tensor<double>[3];
using (Autograd.NoGrad())
{
    delta[2] = a[3].Sub(t).Mul(1.0 / N);
    for (int i = 1; i >= 0; i--)
    {
        Tensor<double> sigmaPrime = a[i + 1].Mul(a[i + 1].RSub(1.0));
        delta[i] = delta[i + 1].MatMul(weights[i + 1].Transpose()).Mul(sigmaPrime);
    }

    for (int i = 0; i < 3; i++)
    {
        gradW[i] = a[i].Transpose().MatMul(delta[i]);
        gradB[i] = delta[i].Sum(0);
    }
}

Notebook.Section("3. The tape's answers beside the hand-written ones");
Tensor<double>[] tapeDeltas = tape.Gradient(loss, z);        // ∂D/∂z⁽ⁱ⁾ for the intermediate tensors
loss.Backward();                                             // accumulates ∂D/∂W, ∂D/∂b into .Grad
static double MaxDiff(Tensor<double> p, Tensor<double> q) => p.Sub(q).Abs().Max().Item();
for (int i = 0; i < 3; i++)
{
    nb.Check($"layer {i + 1}: δ (shape [{string.Join(", ", delta[i].ShapeArray())}])", MaxDiff(tapeDeltas[i], delta[i]), 0, 1e-15);
    nb.Check($"layer {i + 1}: ∇W (shape [{string.Join(", ", gradW[i].ShapeArray())}])", MaxDiff(weights[i].Grad!, gradW[i]), 0, 1e-15);
    nb.Check($"layer {i + 1}: ∇b", MaxDiff(biases[i].Grad!, gradB[i]), 0, 1e-15);
}

Notebook.Text("");
Notebook.Text("The tape never materialises a Jacobian: each op applies its local vector–Jacobian product, which for");
Notebook.Text("the logistic layer is exactly the ⊙ a(1 − a) above, and for the product a·W is δWᵀ (to a) and aᵀδ (to W).");
Console.WriteLine();
Console.WriteLine(tape.ToString().Split('\n').Where(l => l.Contains("Tensor ops", StringComparison.Ordinal) || l.Contains(" T", StringComparison.Ordinal)).Take(6).Aggregate((p, q) => p + "\n" + q));

return nb.Finish();
