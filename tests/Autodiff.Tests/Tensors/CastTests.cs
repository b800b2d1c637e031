namespace Autodiff.Tests.Tensors;

/// <summary>ToFloat/ToDouble pass the gradient back in the input's type, in every sweep.</summary>
[TestFixture]
public sealed class CastTests
{
    [Test]
    public void A_float_network_with_a_double_loss_gets_float_gradients()
    {
        Tensor<float> x = Tensor.FromArray<float>([1f, -2f, 3f]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> loss = x.Mul(2f).ToDouble().Pow(2.0).Sum();
        loss.Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 8f, -16f, 24f }));   // d/dx (2x)² = 8x
    }

    [Test]
    public void A_double_input_through_float_ops_gets_a_double_gradient()
    {
        Tensor<double> x = Tensor.FromArray<double>([0.5, 1.5]).RequiresGrad();
        using var tape = new Tape();
        Tensor<float> y = x.ToFloat().Exp();
        Tensor<double>[] g = tape.Gradient(y.ToDouble().Sum(), [x]);
        Assert.That(g[0].ToArray(), Is.EqualTo(new[] { Math.Exp(0.5), Math.Exp(1.5) }).Within(1e-6));
    }

    [Test]
    public void Second_derivatives_pass_through_casts()
    {
        Tensor<double> x = Tensor.FromArray<double>([0.5, -1.0]);
        // f = Σ (x as float)³, ∂²f/∂x² = 6x; H·v with v = 1.
        Tensor<double> hv = Autograd.HessianVectorProduct(t => t.ToFloat().Pow(3f).ToDouble().Sum(), x, Tensor.OnesLike(x));
        Assert.That(hv.ToArray(), Is.EqualTo(new[] { 3.0, -6.0 }).Within(1e-5));
    }

    [Test]
    public void A_cast_outside_a_recording_tape_is_a_plain_copy()
    {
        Tensor<float> y = Tensor.FromArray<double>([1.25, 2.5]).ToFloat();
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1.25f, 2.5f }));
        Assert.That(y.GradRequired, Is.False);
    }
}
