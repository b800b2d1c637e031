using System.Numerics.Tensors;

namespace Autodiff.NN.Optim;

/// <summary>Gradient clipping (PyTorch's <c>torch.nn.utils.clip_grad_norm_</c> and <c>clip_grad_value_</c>), in place.</summary>
public static class ClipGrad
{
    /// <summary>
    /// Scales all gradients together so that their joint L2 norm is at most <paramref name="maxNorm"/>: when the
    /// norm ‖g‖ exceeds it, every gradient is multiplied by maxNorm/(‖g‖ + 10⁻⁶), as PyTorch does.
    /// </summary>
    /// <remarks>Parameters without a gradient are skipped. The direction of the joint gradient is kept.</remarks>
    /// <param name="parameters">The parameters whose gradients to clip.</param>
    /// <param name="maxNorm">The largest allowed norm, ≥ 0.</param>
    /// <returns>The joint norm before clipping, √(Σ ‖gᵢ‖²).</returns>
    public static double ClipGradNorm(IEnumerable<Tensor<float>> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "ClipGradNorm: maxNorm must be ≥ 0.");
        }

        var grads = parameters.Select(p => p.Grad).OfType<Tensor<float>>().ToList();
        double sumOfSquares = 0;
        foreach (Tensor<float> grad in grads)
        {
            double norm = TensorPrimitives.Norm(grad.Span);
            sumOfSquares += norm * norm;
        }

        double total = Math.Sqrt(sumOfSquares);
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1)
        {
            foreach (Tensor<float> grad in grads)
            {
                Span<float> g = grad.MutableSpan();
                TensorPrimitives.Multiply(g, (float)coefficient, g);
            }
        }

        return total;
    }

    /// <summary>Limits every gradient element to [−clipValue, clipValue].</summary>
    /// <param name="parameters">The parameters whose gradients to clip; those without a gradient are skipped.</param>
    /// <param name="clipValue">The bound, ≥ 0.</param>
    public static void ClipGradValue(IEnumerable<Tensor<float>> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue, "ClipGradValue: clipValue must be ≥ 0.");
        }

        foreach (Tensor<float> parameter in parameters)
        {
            if (parameter.Grad is { } grad)
            {
                Span<float> g = grad.MutableSpan();
                TensorPrimitives.Clamp(g, (float)-clipValue, (float)clipValue, g);
            }
        }
    }
}
