using System.Numerics;

namespace Autodiff.NN.Tests.Reliability;

/// <summary>
/// BCE with logits and cross-entropy losses of Autodiff.NN stay finite and accurate for float logits up to ±1e4 and
/// extreme doubles, forward and gradient, against double references (the engine's ops are covered in Autodiff.Tests).
/// </summary>
[TestFixture]
public sealed class NumericsTests
{
    private static readonly double[] s_logits = [1e4, -1e4, 9999.5, -9999.5, 0, 1e-30, 20, -20, 88, -89, 104, -104, 3, -3];
    private static readonly double[] s_extremeDoubles = [1e300, -1e300, 745, -745, 1e5, -1e5, 710, -710, 37, -37];
    private static readonly double[] s_targets = [0, 1, 0.5, 0.25];

    private static double Log1p(double x) => Math.Abs(x) < 1e-4 ? x - (x * x / 2) + (x * x * x / 3) : Math.Log(1 + x);

    // The loss written so that no term cancels: for x ≥ 0, (1 − y)·x + log(1 + e⁻ˣ); for x < 0, −y·x + log(1 + eˣ).
    private static double BceRef(double x, double y) => x >= 0 ? ((1 - y) * x) + Log1p(Math.Exp(-x)) : (-y * x) + Log1p(Math.Exp(x));

    private static double SigmoidRef(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    private static void Check<T>(double[] logits, double rel, double tiny)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (double target in s_targets)
        {
            double[] x = [.. logits.Select(v => double.CreateChecked(T.CreateChecked(v)))];
            using var tape = new Tape();
            Tensor<T> logitsT = Tensor.FromArray<T>([.. x.Select(T.CreateChecked)], x.Length).RequiresGrad();
            Tensor<T> y = Tensor.Full(T.CreateChecked(target), x.Length);
            Tensor<T> loss = Functional.BCEWithLogits(logitsT, y, Reduction.None);
            loss.Sum().Backward();
            for (int i = 0; i < x.Length; i++)
            {
                double got = double.CreateChecked(loss.Span[i]), reference = BceRef(x[i], target);
                double grad = double.CreateChecked(logitsT.Grad!.Span[i]), gradRef = SigmoidRef(x[i]) - target;

                // A loss of 1e4-sized logits is a difference of 1e4-sized terms: tolerance in ulps of |x|.
                Assert.That(double.IsFinite(got), Is.True, $"BCEWithLogits({x[i]}, {target}) = {got}");
                Assert.That(Math.Abs(got - reference), Is.LessThanOrEqualTo((rel * (Math.Abs(reference) + Math.Abs(x[i]))) + tiny),
                    $"BCEWithLogits({x[i]}, {target}): got {got:R}, reference {reference:R}");
                Assert.That(Math.Abs(grad - gradRef), Is.LessThanOrEqualTo(rel + tiny), $"∂BCEWithLogits({x[i]}, {target}): got {grad:R}, reference {gradRef:R}");
            }
        }
    }

    [Test]
    public void BCEWithLogits_in_float_up_to_1e4() => Check<float>(s_logits, 16 * 6e-8, 1e-44);

    [Test]
    public void BCEWithLogits_in_double_for_extreme_logits() => Check<double>([.. s_logits, .. s_extremeDoubles], 16 * 1.2e-16, 1e-320);

    [Test]
    public void CrossEntropy_loss_in_float_with_1e4_logits_is_finite_and_accurate()
    {
        float[] row = [1e4f, -1e4f, 9999f, 0f, -9999f, 9998f, 1f, 2f, 3f, 4f];
        int n = row.Length;
        for (int target = 0; target < n; target++)
        {
            using var tape = new Tape();
            Tensor<float> logits = Tensor.FromArray<float>(row, 1, n).RequiresGrad();
            Tensor<float> loss = Functional.CrossEntropy(logits, [target]);
            loss.Backward();
            double m = row.Max();
            double logSum = Math.Log(row.Sum(v => Math.Exp(v - m)));
            double reference = m - row[target] + logSum;
            Assert.That(loss.Item(), Is.EqualTo(reference).Within((1e-6 * reference) + 1e-6), $"target {target}");
            for (int j = 0; j < n; j++)
            {
                double p = Math.Exp(row[j] - m - logSum);
                Assert.That(logits.Grad!.Span[j], Is.EqualTo(p - (j == target ? 1 : 0)).Within(1e-6), $"target {target}, ∂/∂x{j}");
            }
        }
    }
}
