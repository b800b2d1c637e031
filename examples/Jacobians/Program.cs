// Jacobians from the tape, beside the closed forms of notes 000, 001 and 003.
// Autograd.Jacobian(f, x) runs f once on a tape and sweeps it backwards once per output element, each sweep
// seeded with a unit vector: row i of the Jacobian is ∂fᵢ/∂x.
using Autodiff;
using Autodiff.Examples;

var nb = new Notebook(args, "Jacobian matrices and the multivariate chain rule");

static Tensor<double> V(params double[] values) => Tensor.FromArray<double>(values);

static Tensor<double> Pick(Tensor<double> x, int i) => x.Narrow(0, i, 1);

static void Print(string name, Tensor<double> m)
{
    Console.WriteLine($"  {name} =");
    int rows = m.Rank == 2 ? m.Shape[0] : 1, cols = m.Size / rows;
    for (int r = 0; r < rows; r++)
    {
        Console.WriteLine("    [" + string.Join(", ", m.Span.Slice(r * cols, cols).ToArray().Select(v => $"{v,9:F5}")) + " ]");
    }
}

void CheckMatrix(string what, Tensor<double> actual, double[,] expected)
{
    double worst = 0;
    int rows = expected.GetLength(0), cols = expected.GetLength(1);
    bool shapeOk = actual.Size == rows * cols;
    for (int r = 0; shapeOk && r < rows; r++)
    {
        for (int c = 0; c < cols; c++)
        {
            worst = Math.Max(worst, Math.Abs(actual.Span[(r * cols) + c] - expected[r, c]));
        }
    }

    nb.Check($"{what}: max |tape − closed form| = {worst:E1}", shapeOk && worst <= 1e-14);
}

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("1. Note 001: f(x) = [2x₁ + x₂, πx₂, −x₁/x₂]");
Notebook.Text("Rows are the outputs of f, columns its inputs. By hand: J = [[2, 1], [0, π], [−1/x₂, x₁/x₂²]].");
Tensor<double> x = V(1.5, -0.5);
Tensor<double> F(Tensor<double> t) => Tensor.Concat([
    Pick(t, 0).Mul(2.0).Add(Pick(t, 1)),
    Pick(t, 1).Mul(Math.PI),
    Pick(t, 0).Neg().Div(Pick(t, 1))]);
Tensor<double> j1 = Autograd.Jacobian(F, x);
Print("J (tape) at x = [1.5, −0.5]", j1);
CheckMatrix("note 001 Jacobian", j1, new[,] { { 2, 1 }, { 0, Math.PI }, { -1 / -0.5, 1.5 / (0.5 * 0.5) } });

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("2. Note 001: the chain rule, f∘g with f(x) = x₁ − 2x₂ + x₃/4 and g(x) = [x₁ + 2x₂, x₂, −x₁ + 3]");
Notebook.Text("Substituting: f(g(x)) = ¾x₁ + ¾, so ∂(f∘g)/∂x = [¾, 0]. The chain rule gives the same as the product");
Notebook.Text("of Jacobians ∂f/∂g · ∂g/∂x = [1, −2, ¼] · [[1, 2], [0, 1], [−1, 0]] — in that order: the reverse product");
Notebook.Text("∂g/∂x · ∂f/∂g is a (3×2)·(1×3) product, which does not even exist.");
Tensor<double> Fsmall(Tensor<double> t) => Pick(t, 0).Sub(Pick(t, 1).Mul(2.0)).Add(Pick(t, 2).Mul(0.25));
Tensor<double> G(Tensor<double> t) => Tensor.Concat([Pick(t, 0).Add(Pick(t, 1).Mul(2.0)), Pick(t, 1), Pick(t, 0).Neg().Add(3.0)]);
Tensor<double> x2 = V(0.7, -1.3);
Tensor<double> composed = Autograd.Jacobian(t => Fsmall(G(t)), x2);
Tensor<double> dfdg = Autograd.Jacobian(Fsmall, G(x2)), dgdx = Autograd.Jacobian(G, x2);
Tensor<double> product = dfdg.MatMul(dgdx);
Print("∂(f∘g)/∂x (tape, one sweep through the composition)", composed);
Print("∂f/∂g · ∂g/∂x (product of the two Jacobians)", product);
CheckMatrix("∂(f∘g)/∂x = [¾, 0]", composed, new[,] { { 0.75, 0 } });
CheckMatrix("chain-rule product = [¾, 0]", product, new[,] { { 0.75, 0 } });
bool reverseFails = false;
try
{
    _ = dgdx.MatMul(dfdg);
}
catch (ArgumentException error)
{
    reverseFails = true;
    Notebook.Text($"  the reverse order, as the engine reports it: {error.Message}");
}

nb.Check("the reverse order ∂g/∂x · ∂f/∂g is rejected (order matters)", reverseFails);

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("3. Note 001's exercise: f(w) = [w₁/w₂, −w₂, log w₁]");
Notebook.Text("By hand: J = [[1/w₂, −w₁/w₂²], [0, −1], [1/w₁, 0]].");
Tensor<double> w = V(2.0, 0.5);
Tensor<double> j3 = Autograd.Jacobian(t => Tensor.Concat([Pick(t, 0).Div(Pick(t, 1)), Pick(t, 1).Neg(), Pick(t, 0).Log()]), w);
Print("J (tape) at w = [2, 0.5]", j3);
CheckMatrix("exercise Jacobian", j3, new[,] { { 1 / 0.5, -2 / (0.5 * 0.5) }, { 0, -1 }, { 1 / 2.0, 0 } });

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("4. Note 001: f(x, y; a, b) = 2ax + b/y seen from both sides");
Notebook.Text("With x, y the variables: ∂f/∂(x, y) = [2a, −b/y²]. With a, b the variables: ∂f/∂(a, b) = [2x, 1/y].");
double xv = 1.2, yv = -0.8, av = 0.3, bv = 2.5;
Tensor<double> Fxyab(Tensor<double> xy, Tensor<double> ab) => Pick(ab, 0).Mul(Pick(xy, 0)).Mul(2.0).Add(Pick(ab, 1).Div(Pick(xy, 1)));
Tensor<double> byXY = Autograd.Jacobian(t => Fxyab(t, V(av, bv)), V(xv, yv));
Tensor<double> byAB = Autograd.Jacobian(t => Fxyab(V(xv, yv), t), V(av, bv));
Print("∂f/∂(x, y)", byXY);
Print("∂f/∂(a, b)", byAB);
CheckMatrix("∂f/∂(x, y) = [2a, −b/y²]", byXY, new[,] { { 2 * av, -bv / (yv * yv) } });
CheckMatrix("∂f/∂(a, b) = [2x, 1/y]", byAB, new[,] { { 2 * xv, 1 / yv } });

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("5. Note 001: ∂f/∂vec[W] for f = Wx");
Notebook.Text("Differentiating with respect to the matrix W and flattening it row by row: [[x₁, x₂, 0, 0], [0, 0, x₁, x₂]].");
Tensor<double> xw = V(0.4, -2.0);
Tensor<double> dfdW = Autograd.Jacobian(m => m.MatMul(xw), Tensor.FromArray<double>([1.0, 2.0, 3.0, 4.0], 2, 2));
Tensor<double> dfdVecW = dfdW.Reshape([2, 4]);
Print("∂f/∂vec[W]", dfdVecW);
CheckMatrix("∂f/∂vec[W]", dfdVecW, new[,] { { 0.4, -2.0, 0, 0 }, { 0, 0, 0.4, -2.0 } });

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("6. Note 000: f = Ax has Jacobian A, and the least-squares gradient is −2eᵀΦ (eq. 5.83)");
Tensor<double> a = Tensor.FromArray<double>([1.0, -2.0, 0.5, 3.0, 0.0, -1.0], 2, 3);
Tensor<double> ja = Autograd.Jacobian(t => a.MatMul(t), V(0.1, 0.2, 0.3));
Print("∂(Ax)/∂x", ja);
CheckMatrix("∂(Ax)/∂x = A", ja, new[,] { { 1, -2, 0.5 }, { 3, 0, -1 } });
Tensor<double> phi = Tensor.RandomNormal<double>([8, 3], seed: 1), yData = Tensor.RandomNormal<double>([8], seed: 2);
Tensor<double> theta = V(0.5, -0.25, 1.0);
Tensor<double> grad = Autograd.Grad(t => yData.Sub(phi.MatMul(t)).Pow(2.0).Sum(), theta);
Tensor<double> e = yData.Sub(phi.MatMul(theta));
Tensor<double> closed = e.MatMul(phi).Mul(-2.0);
Print("∂L/∂θ (tape) for L = ‖y − Φθ‖²", grad);
Print("−2eᵀΦ (closed form)", closed);
CheckMatrix("least-squares gradient", grad, new[,] { { closed.Span[0], closed.Span[1], closed.Span[2] } });

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("7. Note 003: the softmax Jacobian yᵢ(δᵢⱼ − yⱼ)");
Tensor<double> z = V(1.0, 2.0, 0.5, -1.0);
Tensor<double> y = z.Softmax();
Tensor<double> js = Autograd.Jacobian(t => t.Softmax(), z);
var expected = new double[4, 4];
for (int i = 0; i < 4; i++)
{
    for (int j = 0; j < 4; j++)
    {
        expected[i, j] = y.Span[i] * ((i == j ? 1 : 0) - y.Span[j]);
    }
}

Print("∂softmax/∂z (tape)", js);
CheckMatrix("softmax Jacobian", js, expected);
Notebook.Text("Every row sums to 0: adding a constant to all logits leaves the softmax unchanged.");
nb.Check("rows of the softmax Jacobian sum to 0", js.Sum(1).Abs().Max().Item() < 1e-15);

return nb.Finish();
