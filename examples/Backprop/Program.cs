// The δ (error) recursion of notes 002 and 003, by hand, beside the tape.
// A small network with logistic hidden layers and a softmax output trained with cross-entropy. The hand-written
// backward pass uses only the matrix formulas of the notes; the tape uses nothing but the forward pass.
// Then note 003's special cases: a multiplicative layer as a vector activation, max and max pooling (subgradients
// routed to the arg max), and the same multiplicative combination in a real layer, an LSTM cell.
using Autodiff;
using Autodiff.Examples;
using Autodiff.NN;

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

static string Vec(IEnumerable<double> v) => "[" + string.Join(", ", v.Select(e => $"{e,8:F5}")) + " ]";

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("4. Note 003, special case 2: a multiplicative layer is a vector activation");
Notebook.Text("yᵢ = z₂ᵢ₋₁ · z₂ᵢ (i = 1…3): each output is the product of two inputs, not a weighted sum. As a vector");
Notebook.Text("activation its Jacobian is not diagonal, but it is sparse: ∂yᵢ/∂z₂ᵢ₋₁ = z₂ᵢ, ∂yᵢ/∂z₂ᵢ = z₂ᵢ₋₁, all else 0.");
Tensor<double> zPairs = Tensor.FromArray<double>([0.5, -1.5, 2.0, 0.25, -0.75, 3.0]);
static Tensor<double> Pairs(Tensor<double> v)
{
    Tensor<double> rows = v.Reshape([3, 2]);                                   // row i holds (z₂ᵢ₋₁, z₂ᵢ)
    return rows.Narrow(1, 0, 1).Mul(rows.Narrow(1, 1, 1)).Reshape([3]);
}

Tensor<double> jTape = Autograd.Jacobian(Pairs, zPairs);
var jHand = new double[3, 6];
for (int i = 0; i < 3; i++)
{
    jHand[i, 2 * i] = zPairs.Span[(2 * i) + 1];                                // ∂yᵢ/∂z₂ᵢ₋₁ = z₂ᵢ
    jHand[i, (2 * i) + 1] = zPairs.Span[2 * i];                                // ∂yᵢ/∂z₂ᵢ = z₂ᵢ₋₁
}

Console.WriteLine($"  z = {Vec(zPairs.ToArray())}");
for (int i = 0; i < 3; i++)
{
    Console.WriteLine($"  J row {i + 1}: tape    {Vec(jTape.Span.Slice(i * 6, 6).ToArray())}");
    Console.WriteLine($"           by hand {Vec(Enumerable.Range(0, 6).Select(j => jHand[i, j]))}");
}

for (int i = 0; i < 3; i++)
{
    for (int j = 0; j < 6; j++)
    {
        if (jHand[i, j] != 0)
        {
            nb.Check($"∂y{i + 1}/∂z{j + 1} (= z{(j % 2 == 0 ? j + 2 : j)})", jTape.Span[(i * 6) + j], jHand[i, j], 0);
        }
    }
}

double offPath = 0;
for (int i = 0; i < 3; i++)
{
    for (int j = 0; j < 6; j++)
    {
        offPath = jHand[i, j] == 0 ? Math.Max(offPath, Math.Abs(jTape.Span[(i * 6) + j])) : offPath;
    }
}

nb.Check("every other entry of the tape's Jacobian is 0 (max |entry|)", offPath, 0, 0);
Notebook.Text("Backward with ∂D/∂y given: ∂D/∂z₂ᵢ₋₁ = z₂ᵢ · ∂D/∂yᵢ and ∂D/∂z₂ᵢ = z₂ᵢ₋₁ · ∂D/∂yᵢ (note 003), one sweep:");
Tensor<double> dDdy = Tensor.FromArray<double>([1.0, -2.0, 0.5]);
Tensor<double> zLeaf = zPairs.Clone().RequiresGrad();
using (var pairTape = new Tape())
{
    Tensor<double> dDdz = pairTape.Gradient(Pairs(zLeaf).Mul(dDdy).Sum(), [zLeaf])[0];   // D = Σ (∂D/∂yᵢ) yᵢ
    for (int j = 0; j < 6; j++)
    {
        double partner = zPairs.Span[j % 2 == 0 ? j + 1 : j - 1];
        nb.Check($"∂D/∂z{j + 1} = z{(j % 2 == 0 ? j + 2 : j)} · ∂D/∂y{(j / 2) + 1}", dDdz.Span[j], partner * dDdy.Span[j / 2], 0);
    }
}

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("5. Note 003, special case 3: max and max pooling route the gradient to the arg max");
Notebook.Text("y = maxᵢ zᵢ is not differentiable where two inputs tie, but away from ties ∂y/∂zᵢ = 1 for the arg max");
Notebook.Text("and 0 for the rest: the whole gradient goes to the input that won.");
Tensor<double> zMax = Tensor.FromArray<double>([0.3, -1.2, 2.5, 0.9, 2.4]).RequiresGrad();
using (var maxTape = new Tape())
{
    Tensor<double> gMax = maxTape.Gradient(zMax.Max(), [zMax])[0];
    Console.WriteLine($"  z = {Vec(zMax.ToArray())},  ∂y/∂z (tape) = {Vec(gMax.ToArray())}");
    for (int i = 0; i < 5; i++)
    {
        nb.Check($"∂max/∂z{i + 1}{(i == 2 ? " (the arg max)" : "")}", gMax.Span[i], i == 2 ? 1 : 0, 0);
    }
}

Notebook.Text("");
Notebook.Text("Max pooling: yⱼ = max over window δⱼ of z. ∂yⱼ/∂zᵢ = 1 if i = arg max over δⱼ, else 0 (note 003), so with");
Notebook.Text("D = Σⱼ wⱼ yⱼ each input receives wⱼ if it won its window and 0 otherwise. A 4×4 image, 2×2 windows:");
double[] pixels = [1, 5, 2, 0, 3, -1, 4, 8, 0, 2, -3, 1, 7, 6, 2, 9];
double[] windowWeights = [1.0, -2.0, 0.5, 3.0];
Tensor<double> image = Tensor.FromArray<double>(pixels, 1, 1, 4, 4).RequiresGrad();
using (var poolTape = new Tape())
{
    Tensor<double> pooled = Tensor.MaxPool2d(image, 2);
    Tensor<double> gImage = poolTape.Gradient(pooled.Mul(Tensor.FromArray<double>(windowWeights, 1, 1, 2, 2)).Sum(), [image])[0];
    var expected = new double[16];
    for (int w = 0; w < 4; w++)
    {
        int top = w / 2 * 2, left = w % 2 * 2, best = -1;
        for (int r = top; r < top + 2; r++)
        {
            for (int c = left; c < left + 2; c++)
            {
                best = best < 0 || pixels[(r * 4) + c] > pixels[best] ? (r * 4) + c : best;
            }
        }

        expected[best] = windowWeights[w];
    }

    for (int r = 0; r < 4; r++)
    {
        Console.WriteLine($"  z row {r + 1} {Vec(pixels.Skip(r * 4).Take(4))}   ∂D/∂z (tape) {Vec(gImage.Span.Slice(r * 4, 4).ToArray())}");
    }

    double worstPool = Enumerable.Range(0, 16).Max(i => Math.Abs(gImage.Span[i] - expected[i]));
    nb.Check("∂D/∂z = wⱼ at each window's arg max, 0 elsewhere (max |tape − hand| over 16 pixels)", worstPool, 0, 0);
    nb.Check("pooled values are the window maxima", string.Join(",", pooled.ToArray()) == "5,8,7,9");
}

Notebook.Text("");
Notebook.Text("At a tie any convex combination is a subgradient; the engine picks one per op and documents it");
Notebook.Text("(docs/derivatives.md): a Max reduction splits the gradient evenly, max pooling gives it to the first");
Notebook.Text("arg max, ReLU′(0) = 0 (PyTorch; note 003 says frameworks use 1 at 0 — PyTorch does not).");
Tensor<double> tied = Tensor.FromArray<double>([2.0, -1.0, 2.0]).RequiresGrad();
Tensor<double> tiedImage = Tensor.FromArray<double>([4.0, 4.0, 1.0, 4.0], 1, 1, 2, 2).RequiresGrad();
Tensor<double> atZero = Tensor.FromArray<double>([0.0]).RequiresGrad();
using (var tieTape = new Tape())
{
    Tensor<double> gTied = tieTape.Gradient(tied.Max(), [tied])[0];
    nb.Check("max of [2, −1, 2]: ∂/∂z₁ = ½", gTied.Span[0], 0.5, 0);
    nb.Check("max of [2, −1, 2]: ∂/∂z₃ = ½", gTied.Span[2], 0.5, 0);
    Tensor<double> gPoolTied = tieTape.Gradient(Tensor.MaxPool2d(tiedImage, 2).Sum(), [tiedImage])[0];
    nb.Check("max pooling of [[4, 4], [1, 4]]: the first 4 gets 1", gPoolTied.Span[0], 1, 0);
    nb.Check("max pooling of [[4, 4], [1, 4]]: the other 4s get 0", Math.Abs(gPoolTied.Span[1]) + Math.Abs(gPoolTied.Span[3]), 0, 0);
    nb.Check("ReLU′(0)", tieTape.Gradient(atZero.Relu().Sum(), [atZero])[0].Item(), 0, 0);
}

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("6. The multiplicative combination in a real layer: an LSTM cell");
Notebook.Text("Autodiff.NN's LSTMCell (PyTorch's gate order i, f, g, o) computes, from x and the state (h, c),");
Notebook.Text("  i = σ(aᵢ), f = σ(a_f), g = tanh(a_g), o = σ(a_o)  with a = W_ih x + b_ih + W_hh h + b_hh,");
Notebook.Text("  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c').");
Notebook.Text("c' = f ⊙ c + i ⊙ g is section 4's product twice: ∂c'/∂f = c, ∂c'/∂i = g, ∂c'/∂g = i, ∂c'/∂c = f.");
Notebook.Text("Take D = Σ v ⊙ c'. Each bias enters its gate's pre-activation with weight 1, so ∂D/∂b_ih is that gate's");
Notebook.Text("δ = ∂D/∂a (note 003: ∇_b D = ∇_z D), and by the chain rule through the gate's activation:");
Notebook.Text("  ∂D/∂a_f = v ⊙ c ⊙ f(1 − f),  ∂D/∂aᵢ = v ⊙ g ⊙ i(1 − i),  ∂D/∂a_g = v ⊙ i ⊙ (1 − g²),  ∂D/∂a_o = 0,");
Notebook.Text("  ∂D/∂c = v ⊙ f   (tanh′ = 1 − tanh²: note 004's 1 + tanh² is a slip).");
const int Hidden = 3;
var cell = new LSTMCell(2, Hidden, seed: 4);
float[] xIn = [0.8f, -0.4f], hIn = [0.1f, -0.3f, 0.5f], cIn = [0.7f, -1.1f, 0.2f], v = [1.0f, -0.5f, 2.0f];
Tensor<float> cPrev = Tensor.FromArray<float>(cIn, 1, Hidden).RequiresGrad();
Tensor<float> cNext;
using (var cellTape = new Tape())
{
    (_, cNext) = cell.Forward(Tensor.FromArray<float>(xIn, 1, 2), (Tensor.FromArray<float>(hIn, 1, Hidden), cPrev));
    cNext.Mul(Tensor.FromArray<float>(v, 1, Hidden)).Sum().Backward();
}

// The gates by hand, in double, from the cell's own weights.
float[] wIh = cell.WeightIh.ToArray(), wHh = cell.WeightHh.ToArray(), bIh = cell.BiasIh!.ToArray(), bHh = cell.BiasHh!.ToArray();
double Pre(int row) => bIh[row] + bHh[row] + Enumerable.Range(0, 2).Sum(k => (double)wIh[(row * 2) + k] * xIn[k])
    + Enumerable.Range(0, Hidden).Sum(k => (double)wHh[(row * Hidden) + k] * hIn[k]);
static double Sigma(double a) => 1 / (1 + Math.Exp(-a));
double[] gi = [.. Enumerable.Range(0, Hidden).Select(u => Sigma(Pre(u)))];
double[] gf = [.. Enumerable.Range(0, Hidden).Select(u => Sigma(Pre(Hidden + u)))];
double[] gg = [.. Enumerable.Range(0, Hidden).Select(u => Math.Tanh(Pre((2 * Hidden) + u)))];
Console.WriteLine($"  gates by hand: i = {Vec(gi)}, f = {Vec(gf)}, g = {Vec(gg)}");
float[] biasGrad = cell.BiasIh.Grad!.ToArray();
for (int u = 0; u < Hidden; u++)
{
    nb.Check($"c'{u + 1} = f c + i g", cNext.Span[u], (gf[u] * cIn[u]) + (gi[u] * gg[u]), 1e-6);
}

for (int u = 0; u < Hidden; u++)
{
    nb.Check($"∂D/∂a_f{u + 1} = v c f(1 − f)   (∂c'/∂f = c)", biasGrad[Hidden + u], v[u] * cIn[u] * gf[u] * (1 - gf[u]), 1e-6);
}

for (int u = 0; u < Hidden; u++)
{
    nb.Check($"∂D/∂a_i{u + 1} = v g i(1 − i)   (∂c'/∂i = g)", biasGrad[u], v[u] * gg[u] * gi[u] * (1 - gi[u]), 1e-6);
}

for (int u = 0; u < Hidden; u++)
{
    nb.Check($"∂D/∂a_g{u + 1} = v i (1 − g²)   (∂c'/∂g = i)", biasGrad[(2 * Hidden) + u], v[u] * gi[u] * (1 - (gg[u] * gg[u])), 1e-6);
}

for (int u = 0; u < Hidden; u++)
{
    nb.Check($"∂D/∂c{u + 1} = v f            (∂c'/∂c = f)", cPrev.Grad!.Span[u], v[u] * gf[u], 1e-6);
}

nb.Check("∂D/∂a_o = 0: c' does not depend on the output gate (max |entry|)", Enumerable.Range(3 * Hidden, Hidden).Max(k => Math.Abs(biasGrad[k])), 0, 0);
Notebook.Text("The layer never wrote these derivatives: they are the tape's vector–Jacobian products of Mul, Add, Sigmoid");
Notebook.Text("and Tanh, composed. The cell runs in float32, hence the tolerance of 1e-6 against the closed forms in double.");

return nb.Finish();
