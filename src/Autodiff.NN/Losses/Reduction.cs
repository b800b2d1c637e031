namespace Autodiff.NN;

/// <summary>How a loss combines its per-element (or per-sample) values into the result, as PyTorch's <c>reduction</c>.</summary>
public enum Reduction
{
    /// <summary>The mean over every loss value: the default, as in PyTorch.</summary>
    Mean,

    /// <summary>The sum of the loss values.</summary>
    Sum,

    /// <summary>No reduction: the loss values themselves, one per element (or per sample for the classification losses).</summary>
    None,

    /// <summary>
    /// The sum divided by the size of the first (batch) axis: PyTorch's <c>'batchmean'</c>, the reduction under which
    /// <see cref="Functional.KLDivergence{T}"/> is the KL divergence per sample. Equal to <see cref="Mean"/> for the
    /// losses that produce one value per sample.
    /// </summary>
    BatchMean,
}
