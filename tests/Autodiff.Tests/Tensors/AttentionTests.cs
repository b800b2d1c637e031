namespace Autodiff.Tests.Tensors;

/// <summary>The fused attention's values against softmax(q·kᵀ/√d + mask)·v composed from ops, and its boundaries.</summary>
[TestFixture]
public sealed class AttentionTests
{
    private static Tensor<float> Random(int seed, params int[] shape) => Tensor.RandomNormal<float>(shape, seed: seed);

    [TestCase(false)]
    [TestCase(true)]
    public void Values_equal_the_composed_formula_in_float(bool causal)
    {
        Tensor<float> q = Random(1, 2, 3, 70, 8), k = Random(2, 2, 3, 70, 8), v = Random(3, 2, 3, 70, 5);
        Tensor<float> s = q.MatMul(k.Transpose()).Mul(1f / MathF.Sqrt(8));
        if (causal)
        {
            s = s.Add(Tensor.Full(float.NegativeInfinity, 70, 70).Triu(1));
        }

        float[] expected = s.Softmax().MatMul(v).ToArray();
        float[] actual = Tensor.ScaledDotProductAttention(q, k, v, causal: causal).ToArray();
        Assert.That(actual, Is.EqualTo(expected).Within(2e-6f));
    }

    [Test]
    public void A_query_whose_keys_are_all_masked_gets_zeros_and_no_NaN_anywhere()
    {
        Tensor<double> q = Tensor.RandomNormal<double>([2, 3, 4], seed: 4).RequiresGrad(), k = Tensor.RandomNormal<double>([2, 5, 4], seed: 5).RequiresGrad();
        Tensor<double> v = Tensor.RandomNormal<double>([2, 5, 2], seed: 6).RequiresGrad();
        // Query 1 of batch 0 sees no key; every other query keeps at least one.
        double[] mask = new double[2 * 3 * 5];
        for (int j = 0; j < 5; j++)
        {
            mask[5 + j] = double.NegativeInfinity;
        }

        mask[2] = double.NegativeInfinity;
        using var tape = new Tape { DetectAnomalies = false };
        Tensor<double> y = Tensor.ScaledDotProductAttention(q, k, v, Tensor.FromArray<double>(mask, 2, 3, 5));
        Assert.That(y.ToArray().All(double.IsFinite), Is.True);
        Assert.That(y.ToArray()[2..4], Is.EqualTo(new[] { 0.0, 0.0 }));
        y.Sum().Backward();
        Assert.That(q.Grad!.ToArray().Concat(k.Grad!.ToArray()).Concat(v.Grad!.ToArray()).All(double.IsFinite), Is.True);
    }

    [Test]
    public void Shapes_that_do_not_fit_name_all_three()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.ScaledDotProductAttention(Tensor.Zeros<float>(2, 4, 8), Tensor.Zeros<float>(2, 5, 6), Tensor.Zeros<float>(2, 5, 3)));
        Assert.That(error!.Message, Does.Contain("ScaledDotProductAttention").And.Contain("q [2, 4, 8], k [2, 5, 6], v [2, 5, 3]"));
    }
}
