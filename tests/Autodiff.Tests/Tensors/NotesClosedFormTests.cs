namespace Autodiff.Tests.Tensors;

/// <summary>Closed forms from the lecture notes, against the tape.</summary>
[TestFixture]
public sealed class NotesClosedFormTests
{
    [Test]
    public void Note003_softmax_jacobian_is_y_i_times_delta_ij_minus_y_j()
    {
        Tensor<double> z = Tensor.FromArray<double>([0.3, -1.2, 2.0, 0.7]);
        Tensor<double> jacobian = Autograd.Jacobian(t => t.Softmax(), z);
        double[] y = z.Softmax().ToArray();
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                double expected = y[i] * ((i == j ? 1 : 0) - y[j]);
                Assert.That(jacobian[i, j], Is.EqualTo(expected).Within(1e-15), $"∂y{i}/∂z{j}");
            }
        }
    }

    [Test]
    public void Note000_jacobian_of_Ax_is_A_and_the_derivative_with_respect_to_A_is_x_in_each_row()
    {
        Tensor<double> a = Tensor.FromArray<double>(new double[,] { { 1, 2, 3 }, { -4, 5, 0.5 } });
        Tensor<double> x = Tensor.FromArray<double>([0.2, -0.7, 1.5]);
        Assert.That(Autograd.Jacobian(t => a.MatMul(t), x).ToArray(), Is.EqualTo(a.ToArray()));

        // ∂fᵢ/∂A_kl = δᵢₖ x_l: a [2, 2, 3] tensor.
        Tensor<double> dfdA = Autograd.Jacobian(t => t.MatMul(x), a);
        Assert.That(dfdA.ShapeArray(), Is.EqualTo(new[] { 2, 2, 3 }));
        for (int i = 0; i < 2; i++)
        {
            for (int k = 0; k < 2; k++)
            {
                for (int l = 0; l < 3; l++)
                {
                    Assert.That(dfdA[i, k, l], Is.EqualTo(i == k ? x[l] : 0.0), $"∂f{i}/∂A{k}{l}");
                }
            }
        }
    }

    [Test]
    public void Note000_least_squares_gradient_is_minus_two_e_transpose_phi()
    {
        // L(θ) = ‖y − Φθ‖², e = y − Φθ  ⇒  ∂L/∂θ = −2eᵀΦ (eq. 5.83)
        Tensor<double> phi = Tensor.RandomNormal<double>([6, 3], seed: 11);
        Tensor<double> y = Tensor.RandomNormal<double>([6], seed: 12);
        Tensor<double> theta = Tensor.RandomNormal<double>([3], seed: 13);
        Tensor<double> grad = Autograd.Grad(t => y.Sub(phi.MatMul(t)).Pow(2.0).Sum(), theta);
        Tensor<double> e = y.Sub(phi.MatMul(theta));
        Tensor<double> expected = e.MatMul(phi).Mul(-2.0);
        Assert.That(grad.ToArray(), Is.EqualTo(expected.ToArray()).Within(1e-13));
    }
}
