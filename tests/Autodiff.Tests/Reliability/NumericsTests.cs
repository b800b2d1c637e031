using System.Numerics;

namespace Autodiff.Tests.Reliability;

/// <summary>
/// Numerically sensitive ops stay finite and accurate for float inputs up to ±1e4 and for extreme doubles, forward
/// and gradient, against references computed in double with the textbook stable formulas.
/// </summary>
/// <remarks>
/// Tolerance: |got − ref| ≤ rel·|ref| + rel·scale + tiny, where scale is the magnitude of the terms the result is
/// computed from (a log-softmax of 1e4-sized logits is a difference of 1e4-sized numbers: no float result can be
/// closer than an ulp of 1e4), rel is 16 ulps of T, and tiny covers float subnormals.
/// </remarks>
[TestFixture]
public sealed class NumericsTests
{
    private static readonly double[][] s_floatRows =
    [
        [1e4f, -1e4f, 0f, 1f, 2f, -3f, 9999f, 9998.5f, -9999f, 5f],
        [-1e4f, -1e4f, -1e4f, -9999.9f, -1e4f, -1e4f, -1e4f, -1e4f, -1e4f, -1e4f],
        [1e4f, 1e4f, 1e4f, 1e4f, 1e4f, 1e4f, 1e4f, 1e4f, 1e4f, 1e4f],
        [0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 1e-30f],
        [88f, 89f, -88f, -89f, 100f, -100f, 104f, -104f, 20f, -20f],
    ];

    private static readonly double[][] s_doubleRows =
    [
        [1e300, -1e300, 0, 1, 709, 710, -745, 1e5, -1e5, 3],
        [-1e5, -1e5 + 1e-9, -1e5, -1e5, -1e5, -1e5, -1e5, -1e5, -1e5, -1e5],
        [700, 710, 720, 730, 740, 750, -700, -710, -720, -740],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 1e-300],
    ];

    // ---- references in double -------------------------------------------------------------------------------

    private static double Lse(double[] x)
    {
        double m = x.Max();
        return m + Math.Log(x.Sum(v => Math.Exp(v - m)));
    }

    private static double[] SoftmaxRef(double[] x)
    {
        double m = x.Max();
        double s = x.Sum(v => Math.Exp(v - m));
        return [.. x.Select(v => Math.Exp(v - m) / s)];
    }

    private static double[] LogSoftmaxRef(double[] x)
    {
        double m = x.Max();
        double logSum = Math.Log(x.Sum(v => Math.Exp(v - m)));
        return [.. x.Select(v => v - m - logSum)];
    }

    private static double SigmoidRef(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    private static double SoftplusRef(double x) => Math.Max(x, 0) + Log1p(Math.Exp(-Math.Abs(x)));

    private static double Log1p(double x) => Math.Abs(x) < 1e-4 ? x - (x * x / 2) + (x * x * x / 3) : Math.Log(1 + x);

    // ---- the checks -----------------------------------------------------------------------------------------

    private static IEnumerable<(double[] Row, bool IsFloat)> Rows()
    {
        foreach (double[] r in s_floatRows)
        {
            yield return (r, true);
            yield return ([.. r, .. r, .. r, .. r], true); // 40 classes: the long-row kernels
        }

        foreach (double[] r in s_doubleRows)
        {
            yield return (r, false);
            yield return ([.. r, .. r, .. r, .. r], false);
        }
    }

    private static void Close(double got, double reference, double scale, bool isFloat, string what)
    {
        double rel = isFloat ? 16 * 6e-8 : 16 * 1.2e-16; // 16 ulps of T
        double tiny = isFloat ? 1e-44 : 1e-320;
        Assert.That(double.IsFinite(got), Is.True, $"{what}: {got} is not finite (reference {reference})");
        Assert.That(Math.Abs(got - reference), Is.LessThanOrEqualTo((rel * Math.Abs(reference)) + (rel * scale) + tiny),
            $"{what}: got {got:R}, reference {reference:R}");
    }

    private static double[] Run<T>(double[] row, Func<Tensor<T>, Tensor<T>> op, out double[] grad, double[]? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var tape = new Tape();
        Tensor<T> x = Tensor.FromArray<T>([.. row.Select(T.CreateChecked)], 1, row.Length).RequiresGrad();
        Tensor<T> y = op(x);
        double[] value = [.. y.Span.ToArray().Select(double.CreateChecked)];
        Tensor<T> s = seed is null ? Tensor.OnesLike(y) : Tensor.FromArray<T>([.. seed.Select(T.CreateChecked)], y.ShapeArray());
        y.Backward(s);
        grad = [.. x.Grad!.Span.ToArray().Select(double.CreateChecked)];
        return value;
    }

    private static double[] Rounded(double[] row, bool isFloat) => isFloat ? [.. row.Select(v => (double)(float)v)] : row;

    private static double[] Seed(int n) => [.. Enumerable.Range(0, n).Select(i => ((i % 7) - 3) * 0.25)];

    [Test]
    public void Softmax_and_its_gradient()
    {
        foreach ((double[] raw, bool isFloat) in Rows())
        {
            double[] x = Rounded(raw, isFloat);
            double[] seed = Seed(x.Length);
            double[] value = isFloat ? Run<float>(x, t => t.Softmax(), out double[] grad, seed) : Run<double>(x, t => t.Softmax(), out grad, seed);
            double[] p = SoftmaxRef(x);
            double dot = p.Zip(seed, (a, b) => a * b).Sum();
            for (int i = 0; i < x.Length; i++)
            {
                Close(value[i], p[i], 0, isFloat, $"softmax[{i}] of [{string.Join(", ", x)}]");
                Close(grad[i], p[i] * (seed[i] - dot), p[i], isFloat, $"∂softmax[{i}]");
            }
        }
    }

    [Test]
    public void LogSoftmax_and_its_gradient()
    {
        foreach ((double[] raw, bool isFloat) in Rows())
        {
            double[] x = Rounded(raw, isFloat);
            double[] seed = Seed(x.Length);
            double[] value = isFloat ? Run<float>(x, t => t.LogSoftmax(), out double[] grad, seed) : Run<double>(x, t => t.LogSoftmax(), out grad, seed);
            CheckLogSoftmax(x, seed, value, grad, isFloat, "last axis");

            // Along another axis the op is composed of differentiable ops rather than one kernel: same guarantees.
            int n = x.Length;
            value = isFloat
                ? Run<float>(x, t => t.Reshape([n, 1]).LogSoftmax(0).Reshape([1, n]), out grad, seed)
                : Run<double>(x, t => t.Reshape([n, 1]).LogSoftmax(0).Reshape([1, n]), out grad, seed);
            CheckLogSoftmax(x, seed, value, grad, isFloat, "axis 0");
        }
    }

    private static void CheckLogSoftmax(double[] x, double[] seed, double[] value, double[] grad, bool isFloat, string axis)
    {
        double[] reference = LogSoftmaxRef(x);
        double[] p = SoftmaxRef(x);
        double sum = seed.Sum();
        double spread = x.Max() - x.Min();
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(reference[i]))
            {
                continue; // not representable in double either (logits 1e300 apart)
            }

            Close(value[i], reference[i], Math.Min(spread, Math.Abs(x[i]) + Math.Abs(x.Max())), isFloat, $"logSoftmax[{i}] ({axis}) of [{string.Join(", ", x)}]");
            Close(grad[i], seed[i] - (p[i] * sum), 1, isFloat, $"∂logSoftmax[{i}] ({axis})");
        }
    }

    [Test]
    public void LogSumExp_and_its_gradient()
    {
        foreach ((double[] raw, bool isFloat) in Rows())
        {
            double[] x = Rounded(raw, isFloat);
            double[] value = isFloat ? Run<float>(x, t => t.LogSumExp(), out double[] grad) : Run<double>(x, t => t.LogSumExp(), out grad);
            Close(value[0], Lse(x), Math.Abs(x.Max()), isFloat, $"logSumExp of [{string.Join(", ", x)}]");
            double[] p = SoftmaxRef(x);
            for (int i = 0; i < x.Length; i++)
            {
                Close(grad[i], p[i], 0, isFloat, $"∂logSumExp[{i}]");
            }
        }
    }

    [Test]
    public void CrossEntropy_and_its_gradient_for_every_target()
    {
        foreach ((double[] raw, bool isFloat) in Rows())
        {
            double[] x = Rounded(raw, isFloat);
            double[] p = SoftmaxRef(x);
            double[] logP = LogSoftmaxRef(x); // −log pₜ as (xₜ − m) − log Σ: m + log Σ − xₜ would round log Σ to an ulp of m
            for (int target = 0; target < Math.Min(x.Length, 10) * 2; target++)
            {
                // Each target twice: the per-row op, then the fused mean (of one row, the same number).
                int t = target / 2;
                bool mean = target % 2 == 1;
                double[] value = isFloat
                    ? Run<float>(x, l => mean ? Tensor.CrossEntropyMean(l, [t]) : Tensor.CrossEntropy(l, [t]), out double[] grad)
                    : Run<double>(x, l => mean ? Tensor.CrossEntropyMean(l, [t]) : Tensor.CrossEntropy(l, [t]), out grad);
                double reference = -logP[t];
                if (!double.IsFinite(reference))
                {
                    continue;
                }

                Close(value[0], reference, Math.Min(x.Max() - x.Min(), Math.Abs(x.Max()) + Math.Abs(x[t])), isFloat, $"crossEntropy(target {t}) of [{string.Join(", ", x)}]");
                for (int i = 0; i < x.Length; i++)
                {
                    Close(grad[i], p[i] - (i == t ? 1 : 0), 1, isFloat, $"∂crossEntropy[{i}] (target {t})");
                }
            }
        }
    }

    [Test]
    public void Sigmoid_and_its_gradient_elementwise()
    {
        foreach ((double[] raw, bool isFloat) in Rows())
        {
            double[] x = Rounded(raw, isFloat);
            double[] value = isFloat ? Run<float>(x, t => t.Sigmoid(), out double[] grad) : Run<double>(x, t => t.Sigmoid(), out grad);
            for (int i = 0; i < x.Length; i++)
            {
                double s = SigmoidRef(x[i]);
                Close(value[i], s, 0, isFloat, $"sigmoid({x[i]})");
                // Computed from the saved result as y·(1 − y) (as PyTorch does): 1 − y cannot be closer than an ulp of 1.
                Close(grad[i], s * SigmoidRef(-x[i]), 1, isFloat, $"sigmoid'({x[i]})");
            }
        }
    }

    [Test]
    public void Softplus_and_its_gradient_elementwise()
    {
        foreach ((double[] raw, bool isFloat) in Rows())
        {
            double[] x = Rounded(raw, isFloat);
            double[] value = isFloat ? Run<float>(x, t => t.Softplus(), out double[] grad) : Run<double>(x, t => t.Softplus(), out grad);
            for (int i = 0; i < x.Length; i++)
            {
                Close(value[i], SoftplusRef(x[i]), 0, isFloat, $"softplus({x[i]})");
                Close(grad[i], SigmoidRef(x[i]), 0, isFloat, $"softplus'({x[i]})");
            }
        }
    }
}
