namespace Autodiff.Tests.Tensors;

/// <summary>Embedding's padding row and its errors, as PyTorch's <c>F.embedding</c>.</summary>
[TestFixture]
public sealed class EmbeddingTests
{
    [Test]
    public void Lookups_of_the_padding_row_pass_no_gradient_and_duplicates_accumulate()
    {
        Tensor<double> w = Tensor.FromArray<double>([1, 2, 3, 4, 5, 6], 3, 2).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = Tensor.Embedding(w, [2, 1, 2, 0], [2, 2], paddingIndex: 1);
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 2, 2, 2 }));
        Assert.That(y.ToArray(), Is.EqualTo(new double[] { 5, 6, 3, 4, 5, 6, 1, 2 }));
        y.Mul(Tensor.FromArray<double>([1, 10], 2)).Sum().Backward();
        Assert.That(w.Grad!.ToArray(), Is.EqualTo(new double[] { 1, 10, 0, 0, 2, 20 })); // row 2 twice, row 1 padding
    }

    [Test]
    public void An_index_out_of_range_names_the_index_and_the_table_size()
    {
        var error = Assert.Throws<ArgumentException>(() => Tensor.Embedding(Tensor.Zeros<float>(65, 8), [3, 70]));
        Assert.That(error!.Message, Does.Contain("Embedding").And.Contain("index 70 (at position 1)").And.Contain("table of 65 rows"));
    }
}
