namespace Autodiff.Tests.Tensors;

/// <summary>GELU in float (vectorised float Φ) against the exact double GELU, forwards and backwards.</summary>
[TestFixture]
public sealed class FloatGeluTests
{
    [Test]
    public void Float_gelu_and_its_gradient_have_a_floats_precision()
    {
        float[] x = [.. Enumerable.Range(0, 20_003).Select(i => -14f + (i * 0.0011f))]; // not a multiple of 4: the tail too
        Tensor<float> xf = Tensor.FromArray<float>(x).RequiresGrad();
        Tensor<double> xd = Tensor.FromArray<double>([.. x.Select(v => (double)v)]).RequiresGrad();
        using var tape = new Tape();
        Tensor<float> yf = xf.Gelu();
        Tensor<double> yd = xd.Gelu();
        yf.Sum().Backward();
        yd.Sum().Backward();
        float[] y = yf.ToArray(), g = xf.Grad!.ToArray();
        double[] ye = yd.ToArray(), ge = xd.Grad!.ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            Assert.That(y[i], Is.EqualTo(ye[i]).Within((5e-7 * Math.Abs(ye[i])) + 1e-37), $"GELU({x[i]})");
            Assert.That(g[i], Is.EqualTo(ge[i]).Within((5e-7 * Math.Abs(ge[i])) + 1e-6), $"GELU′({x[i]})");
        }
    }
}
