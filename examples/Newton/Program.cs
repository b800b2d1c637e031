// Newton's method without a Hessian matrix: Newton–CG on the Rosenbrock function, where each conjugate-gradient
// step needs only a Hessian–vector product H·v (one recorded gradient swept back once), next to gradient descent.
using System.Diagnostics;
using Autodiff;
using Autodiff.Examples;

var nb = new Notebook(args, "Newton–CG with Hessian–vector products vs gradient descent (Rosenbrock)");
const double Tolerance = 1e-8;
int gdCap = nb.Quick ? 20_000 : 200_000;

// f(x) = Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²: a long curved valley with its minimum 0 at (1, …, 1).
static Tensor<double> Rosenbrock(Tensor<double> x)
{
    int n = x.Size;
    Tensor<double> head = x.Narrow(0, 0, n - 1), tail = x.Narrow(0, 1, n - 1);
    return tail.Sub(head.Mul(head)).Pow(2.0).Mul(100.0).Add(head.RSub(1.0).Pow(2.0)).Sum();
}

static double Value(Tensor<double> x) => Rosenbrock(x).Item();

static double Norm(Tensor<double> t) => Math.Sqrt(t.Mul(t).Sum().Item());

// Backtracking (Armijo) line search along a descent direction p: the largest of 1, ½, ¼, … that decreases f enough.
static Tensor<double> LineSearch(Tensor<double> x, Tensor<double> g, Tensor<double> p)
{
    double f0 = Value(x), slope = g.Mul(p).Sum().Item();
    for (double step = 1.0; step > 1e-20; step /= 2)
    {
        Tensor<double> next = x.Add(p.Mul(step));
        if (Value(next) <= f0 + (1e-4 * step * slope))
        {
            return next;
        }
    }

    return x;
}

// Gradient descent: p = −∇f, same line search.
(Tensor<double> X, int Iterations) GradientDescent(Tensor<double> x0, int cap)
{
    Tensor<double> x = x0;
    for (int k = 0; k < cap; k++)
    {
        Tensor<double> g = Autograd.Grad(Rosenbrock, x);
        if (Norm(g) < Tolerance)
        {
            return (x, k);
        }

        x = LineSearch(x, g, g.Neg());
    }

    return (x, cap);
}

// Newton–CG: solve H p = −∇f approximately by conjugate gradients, touching H only through H·v; stop CG at
// negative curvature (far from the minimum H is indefinite) and fall back to −∇f if the first step already is.
(Tensor<double> X, int Iterations, int HessianProducts) NewtonCg(Tensor<double> x0, int cap)
{
    Tensor<double> x = x0;
    int products = 0;
    for (int k = 0; k < cap; k++)
    {
        Tensor<double> g = Autograd.Grad(Rosenbrock, x);
        double gNorm = Norm(g);
        if (gNorm < Tolerance)
        {
            return (x, k, products);
        }

        Tensor<double> p = Tensor.ZerosLike(x), r = g.Neg(), d = r;
        double rr = r.Mul(r).Sum().Item(), forcing = Math.Min(0.5, Math.Sqrt(gNorm)) * gNorm;
        for (int j = 0; j < 2 * x.Size; j++)
        {
            Tensor<double> hd = Autograd.HessianVectorProduct(Rosenbrock, x, d);
            products++;
            double curvature = d.Mul(hd).Sum().Item();
            if (curvature <= 0)
            {
                if (j == 0)
                {
                    p = g.Neg();
                }

                break;
            }

            double alpha = rr / curvature;
            p = p.Add(d.Mul(alpha));
            r = r.Sub(hd.Mul(alpha));
            double rrNext = r.Mul(r).Sum().Item();
            if (Math.Sqrt(rrNext) < forcing)
            {
                break;
            }

            d = r.Add(d.Mul(rrNext / rr));
            rr = rrNext;
        }

        x = LineSearch(x, g, p);
    }

    return (x, cap, products);
}

Notebook.Section("1. The problem");
Notebook.Text("f(x) = Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², minimum f = 0 at (1, …, 1); stop when ‖∇f‖ < 1e-8.");
Notebook.Text("Newton's step solves H p = −∇f. Conjugate gradients solve it using only products H·v, and");
Notebook.Text("Autograd.HessianVectorProduct gives H·v from one recorded gradient swept back once: H is never formed.");
Tensor<double> check = Tensor.FromArray<double>([-1.2, 1.0], [2]);
Tensor<double> hv = Autograd.HessianVectorProduct(Rosenbrock, check, Tensor.FromArray<double>([1.0, 0.0], [2]));
// ∂²f/∂x² = 2 − 400(y − x²) + 800x², ∂²f/∂x∂y = −400x at (−1.2, 1): the first column of H.
nb.Check("H·e₁ at (−1.2, 1) against the closed form (1330, 480)", hv.ToArray()[0], 2 - (400 * (1 - 1.44)) + (800 * 1.44), 1e-9);
nb.Check("  second component", hv.ToArray()[1], 480, 1e-9);

foreach ((int section, string name, Tensor<double> start) in new[]
{
    (2, "2-D, from (−1.2, 1)", Tensor.FromArray<double>([-1.2, 1.0], [2])),
    (3, "10-D, from 0", Tensor.Zeros<double>(10)),
})
{
    Notebook.Section($"{section}. {name}");
    var clock = Stopwatch.StartNew();
    (Tensor<double> xn, int newtonIterations, int products) = NewtonCg(start, 500);
    double newtonMs = clock.Elapsed.TotalMilliseconds;
    clock.Restart();
    (Tensor<double> xg, int gdIterations) = GradientDescent(start, gdCap);
    double gdMs = clock.Elapsed.TotalMilliseconds;
    double newtonError = xn.Sub(Tensor.OnesLike(xn)).Abs().Max().Item(), gdError = xg.Sub(Tensor.OnesLike(xg)).Abs().Max().Item();
    Console.WriteLine($"  Newton–CG        {newtonIterations,7} iterations ({products} Hessian–vector products), f = {Value(xn):E2}, max |x − 1| = {newtonError:E2}, {newtonMs:F0} ms");
    string gdStatus = gdIterations < gdCap ? "" : "  (stopped at the cap: not converged)";
    Console.WriteLine($"  gradient descent {gdIterations,7} iterations, f = {Value(xg):E2}, max |x − 1| = {gdError:E2}, {gdMs:F0} ms{gdStatus}");
    nb.Check($"Newton–CG reaches (1, …, 1) to 1e-6 in under 100 iterations", newtonIterations < 100 && newtonError < 1e-6);
    nb.Check($"gradient descent needs at least 10× as many iterations", gdIterations >= 10 * newtonIterations);
}

return nb.Finish();
