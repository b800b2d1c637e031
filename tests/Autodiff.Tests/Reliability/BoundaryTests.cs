namespace Autodiff.Tests.Reliability;

/// <summary>Boundaries where the engine now does what PyTorch does (issue 15), each pinned so that it cannot drift back.</summary>
[TestFixture]
public sealed class BoundaryTests
{
    [Test]
    public void Pow_with_a_tensor_exponent_has_gradient_zero_for_the_base_at_zero_to_the_zero()
    {
        Tensor<double> a = Tensor.FromArray<double>([0.0, 2.0]).RequiresGrad(), b = Tensor.FromArray<double>([0.0, 3.0]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double>[] g = tape.Gradient(a.Pow(b).Sum(), [a, b]);
        Assert.That(g[0].ToArray(), Is.EqualTo(new[] { 0.0, 12.0 }), "PyTorch, Scalar.Pow and Tensor.Pow(double) give 0 at 0⁰");
        Assert.That(g[1].ToArray()[0], Is.EqualTo(0.0));
    }

    [Test]
    public void Reductions_and_softmax_of_a_0_d_tensor_accept_axis_0_and_minus_1()
    {
        Tensor<double> x = Tensor.Scalar(2.5).RequiresGrad();
        using var tape = new Tape();
        Assert.That(x.Sum(0).Item(), Is.EqualTo(2.5));
        Assert.That(x.Mean(-1).Item(), Is.EqualTo(2.5));
        Assert.That(x.Softmax().Item(), Is.EqualTo(1.0));
        Assert.That(x.LogSoftmax(0).Item(), Is.EqualTo(0.0));
        Assert.That(tape.Gradient(x.Sum(0), [x])[0].Item(), Is.EqualTo(1.0));
        Assert.That(tape.Gradient(x.Softmax().Add(x.Mul(0.0)), [x])[0].Item(), Is.EqualTo(0.0));
        var error = Assert.Throws<ArgumentException>(() => x.Sum(1));
        Assert.That(error!.Message, Does.Contain("axis 1 is out of range for a 0-d tensor"));
    }

    [Test]
    public void Maximum_and_Minimum_pass_the_gradient_to_both_sides_where_a_NaN_makes_them_unordered()
    {
        Tensor<double> a = Tensor.FromArray<double>([double.NaN, 1.0, 2.0, 3.0]).RequiresGrad(), b = Tensor.FromArray<double>([1.0, double.NaN, 2.0, 1.0]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double>[] max = tape.Gradient(a.Maximum(b).Sum(), [a, b]), min = tape.Gradient(a.Minimum(b).Sum(), [a, b]);
        Assert.That(max[0].ToArray(), Is.EqualTo(new[] { 1.0, 1.0, 0.5, 1.0 }), "PyTorch: g to each side unless the other strictly wins");
        Assert.That(max[1].ToArray(), Is.EqualTo(new[] { 1.0, 1.0, 0.5, 0.0 }));
        Assert.That(min[0].ToArray(), Is.EqualTo(new[] { 1.0, 1.0, 0.5, 0.0 }));
        Assert.That(min[1].ToArray(), Is.EqualTo(new[] { 1.0, 1.0, 0.5, 1.0 }));
    }

    [Test]
    public void Ge_and_Le_are_0_where_a_NaN_leaves_the_operands_unordered()
    {
        Tensor<double> a = Tensor.FromArray<double>([double.NaN, 1.0, 1.0, 2.0, 0.0]), b = Tensor.FromArray<double>([1.0, double.NaN, 1.0, 1.0, -0.0]);
        Assert.That(a.Ge(b).ToArray(), Is.EqualTo(new[] { 0.0, 0.0, 1.0, 1.0, 1.0 }), "PyTorch's ge: NaN ≥ 1 is false");
        Assert.That(a.Le(b).ToArray(), Is.EqualTo(new[] { 0.0, 0.0, 1.0, 0.0, 1.0 }));
    }

    [Test]
    public void Relu_passes_the_gradient_at_NaN_as_PyTorch_and_stops_it_at_0()
    {
        Tensor<double> x = Tensor.FromArray<double>([double.NaN, 0.0, -0.0, -1.0, 2.0]).RequiresGrad();
        using var tape = new Tape();
        Assert.That(tape.Gradient(x.Relu().Sum(), [x])[0].ToArray(), Is.EqualTo(new[] { 1.0, 0.0, 0.0, 0.0, 1.0 }), "PyTorch zeroes g where the result is ≤ 0; NaN ≤ 0 is false");
        using var graph = new Tape();
        Assert.That(graph.Gradient(x.Relu().Sum(), [x], createGraph: true)[0].ToArray(), Is.EqualTo(new[] { 1.0, 0.0, 0.0, 0.0, 1.0 }), "and so does the recorded rule");
    }

    [Test]
    public void Max_pooling_sends_the_gradient_to_the_last_NaN_of_a_window_as_PyTorch()
    {
        Tensor<double> x = Tensor.FromArray<double>([1.0, double.NaN, 3.0, double.NaN], [1, 1, 2, 2]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = Tensor.MaxPool2d(x, 2);
        Assert.That(double.IsNaN(y.Item()));
        Assert.That(tape.Gradient(y.Sum(), [x])[0].ToArray(), Is.EqualTo(new[] { 0.0, 0.0, 0.0, 1.0 }), "PyTorch's kernel takes every NaN it meets");
    }

    [Test]
    public void Log_softmax_along_an_inner_axis_with_plus_infinity_is_NaN_as_along_the_last()
    {
        Tensor<double> x = Tensor.FromArray<double>([0.0, 1.0, double.PositiveInfinity, 2.0], [2, 2]);
        double[] y = x.LogSoftmax(0).ToArray(), finite = Tensor.FromArray<double>([1.0, 2.0]).LogSoftmax().ToArray();
        Assert.That(y, Is.EqualTo(new[] { double.NaN, finite[0], double.NaN, finite[1] }).Within(1e-15), "PyTorch: the column with +∞ is NaN throughout");
        Assert.That(x.LogSoftmax(-1).ToArray(), Is.EqualTo(x.Transpose().LogSoftmax(0).Transpose().ToArray()).Using<double>((p, q) => p.Equals(q) ? 0 : 1), "both kernels agree");
    }

    [Test]
    public void Log_sum_exp_over_an_empty_axis_is_minus_infinity()
    {
        Tensor<double> x = Tensor.Zeros<double>(2, 0).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = x.LogSumExp([1]);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { double.NegativeInfinity, double.NegativeInfinity }), "PyTorch: the log of a sum of nothing");
        Assert.That(tape.Gradient(y.Mul(Tensor.FromArray<double>([1.0, 2.0])).Sum(), [x])[0].ShapeArray(), Is.EqualTo(new[] { 2, 0 }));
    }

    [Test]
    public void Linear_takes_a_1_D_input_as_one_row()
    {
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0]).RequiresGrad(), w = Tensor.FromArray<double>([1.0, 0.0, 3.0, -1.0], [2, 2]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = Tensor.Linear(x, w, Tensor.FromArray<double>([0.5, 0.25]));
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 2 }), "PyTorch's F.linear: [k] gives [n]");
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 1.5, 1.25 }));
        Assert.That(tape.Gradient(y.Sum(), [x])[0].ToArray(), Is.EqualTo(new[] { 4.0, -1.0 }));
    }

    [Test]
    public void Narrow_counts_a_negative_start_from_the_end()
    {
        Tensor<double> x = Tensor.FromArray<double>([1.0, 2.0, 3.0, 4.0]);
        Assert.That(x.Narrow(0, -3, 2).ToArray(), Is.EqualTo(new[] { 2.0, 3.0 }), "PyTorch's narrow: start −3 of 4 is 1");
        Assert.That(x.Narrow(-1, -4, 4).ToArray(), Is.EqualTo(x.ToArray()));
        Assert.Throws<ArgumentException>(() => x.Narrow(0, -5, 1));
    }

    [Test]
    public void Permute_takes_negative_axes()
    {
        Tensor<double> x = Tensor.Zeros<double>(2, 3, 1);
        Assert.That(x.Permute([-1, 0, 1]).ShapeArray(), Is.EqualTo(new[] { 1, 2, 3 }), "PyTorch's permute: −1 is the last axis");
        Assert.Throws<ArgumentException>(() => x.Permute([-1, 2, 0]), "−1 and 2 name the same axis");
    }

    [Test]
    public void Reshape_of_an_empty_tensor_refuses_an_extent_minus_1_it_cannot_infer()
    {
        Tensor<double> x = Tensor.Zeros<double>(0, 3);
        var error = Assert.Throws<ArgumentException>(() => x.Reshape([-1, 0]));
        Assert.That(error!.Message, Does.Contain("-1"), "PyTorch: any extent would do, so −1 is ambiguous");
        Assert.That(x.Reshape([3, -1]).ShapeArray(), Is.EqualTo(new[] { 3, 0 }), "inferable: the other extents hold elements");
    }

    [Test]
    public void Std_of_a_constant_row_has_gradient_0_as_PyTorch()
    {
        Tensor<double> x = Tensor.FromArray<double>([2.0, 2.0, 2.0, 1.0, 2.0, 4.0], [2, 3]).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> s = x.Std([1]);
        Assert.That(s.ToArray()[0], Is.EqualTo(0.0));
        double[] g = tape.Gradient(s.Sum(), [x])[0].ToArray();
        Assert.That(g[..3], Is.EqualTo(new[] { 0.0, 0.0, 0.0 }), "PyTorch masks √'s g/(2·0) where the deviation is 0");
        Assert.That(g[3..].All(double.IsFinite));
        Assert.That(double.IsNaN(Tensor.FromArray<double>([2.0]).Std().Item()), "one element with the correction is still NaN");
    }

    [Test]
    public void Var_of_an_empty_axis_is_NaN_with_or_without_the_correction()
    {
        Tensor<double> x = Tensor.Zeros<double>(2, 0);
        Assert.That(x.Var([1]).ToArray(), Is.EqualTo(new[] { double.NaN, double.NaN }), "PyTorch divides by max(0, n − 1) = 0: 0/0");
        Assert.That(x.Var([1], unbiased: false).ToArray(), Is.EqualTo(new[] { double.NaN, double.NaN }));
        Assert.That(x.Std([1]).ToArray(), Is.EqualTo(new[] { double.NaN, double.NaN }));
    }

    [Test]
    public void Sigmoid_and_Softplus_of_an_empty_tensor_are_empty_forward_and_backward()
    {
        Tensor<double> x = Tensor.Zeros<double>(2, 0).RequiresGrad();
        using var tape = new Tape();
        Assert.That(x.Sigmoid().ShapeArray(), Is.EqualTo(new[] { 2, 0 }), "as PyTorch; TensorPrimitives.Sigmoid refuses an empty span");
        Assert.That(tape.Gradient(x.Softplus().Sum(), [x])[0].ShapeArray(), Is.EqualTo(new[] { 2, 0 }), "Softplus's rule is g·σ(x)");
    }

    [Test]
    public void Attention_over_no_keys_gives_zeros_and_zero_gradients()
    {
        Tensor<double> q = Tensor.Ones<double>(2, 3).RequiresGrad(), k = Tensor.Zeros<double>(0, 3).RequiresGrad(), v = Tensor.Zeros<double>(0, 4).RequiresGrad();
        using var tape = new Tape();
        Tensor<double> y = Tensor.ScaledDotProductAttention(q, k, v);
        Assert.That(y.ToArray(), Is.EqualTo(new double[8]), "PyTorch's formula: softmax of no scores times no values");
        Tensor<double>[] g = tape.Gradient(y.Sum(), [q, k, v]);
        Assert.That(g[0].ToArray(), Is.EqualTo(new double[6]));
        Assert.That(g[1].ShapeArray(), Is.EqualTo(new[] { 0, 3 }));
    }

    [Test]
    public void Squeezing_an_axis_longer_than_1_leaves_the_tensor_as_it_is()
        => Assert.That(Tensor.Ones<double>(2, 3).Squeeze(1).ShapeArray(), Is.EqualTo(new[] { 2, 3 }));

    [Test]
    public void Factories_name_themselves_and_reject_what_they_cannot_make()
    {
        Assert.That(Assert.Throws<NotSupportedException>(() => Tensor.Zeros<Half>(3))!.Message, Does.Contain("Zeros").And.Contain("float"));
        Assert.That(Assert.Throws<NotSupportedException>(() => Tensor.Zeros<Half>(3))!.Message, Does.Contain("Zeros"), "and again: the type is still usable");
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Arange(0.0, double.NaN, 1.0))!.Message, Does.Contain("Arange").And.Contain("finite"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.RandomNormal<float>([2], seed: 1, std: -1))!.Message, Does.Contain("RandomNormal"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.RandomUniform<float>([2], seed: 1, low: 1, high: 0))!.Message, Does.Contain("RandomUniform"));
    }

    [Test]
    public void Composite_ops_report_themselves_and_the_users_shapes()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Stack(Array.Empty<Tensor<double>>()))!.Message, Does.StartWith("Stack"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Stack([Tensor.Ones<double>(2, 2), Tensor.Ones<double>(2, 2)], 3))!.Message,
            Does.StartWith("Stack").And.Contain("shape [2, 2]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Ones<double>(3).MatMul(Tensor.Ones<double>(4)))!.Message, Does.Contain("[3] · [4]"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.MaxThreads = 0)!.Message, Does.Contain("Parallelism.MaxThreads"));
    }

    [Test]
    public void A_tensor_prints_the_same_through_ToString_Console_and_interpolation()
    {
        Tensor<double> t = Tensor.FromArray<double>([1.0 / 3.0, 2.5]);
        string expected = "tensor([0.333333, 2.5], shape=[2], dtype=float64)";
        Assert.That(t.ToString(), Is.EqualTo(expected));
        Assert.That($"{t}", Is.EqualTo(expected), "string interpolation calls IFormattable.ToString(null, culture)");
        var writer = new StringWriter(new System.Globalization.CultureInfo("de-DE"));
        writer.Write(t);
        Assert.That(writer.ToString(), Is.EqualTo(expected), "TextWriter.Write(object), as Console.WriteLine(t), passes its culture and no format");
        Assert.That(t.ToString("F2", System.Globalization.CultureInfo.InvariantCulture), Does.StartWith("tensor([0.33, 2.50]"), "an explicit format still applies");
    }

    [Test]
    public void A_reused_buffer_hands_out_new_tensors_and_the_superseded_one_throws_when_read()
    {
        var buffer = new ReusedBuffer<double>("frame 1 was overwritten: Clone() what you keep");
        Tensor<double> first = buffer.Next(2, 2);
        first.MutableSpan().Fill(1);
        Tensor<double> view = first.Reshape([4]), second = buffer.Next(4);
        Assert.That(second.ToArray(), Is.EqualTo(new[] { 1.0, 1, 1, 1 }), "the same elements, under a new handle");
        Assert.That(Assert.Throws<InvalidOperationException>(() => first.ToArray())!.Message, Is.EqualTo("frame 1 was overwritten: Clone() what you keep"));
        Assert.Throws<InvalidOperationException>(() => view.Sum());
        Tensor<double> third = buffer.Next(3);
        Assert.That(third.ToArray(), Is.EqualTo(new double[3]), "another size gets new elements");
        Assert.Throws<InvalidOperationException>(() => second.ToArray());
        Assert.Throws<ArgumentException>(() => buffer.Next(-1));
        Assert.That(third.ToArray(), Has.Length.EqualTo(3), "a rejected call changes nothing");
    }

    [Test]
    public void An_anomaly_in_a_tensor_op_without_a_line_does_not_advise_a_Scalar_API()
    {
        using var tape = new Tape { DetectAnomalies = true };
        Tensor<double> x = Tensor.FromArray<double>([-1.0]).RequiresGrad();
        var tensorError = Assert.Throws<AnomalyException>(() => x.Log(file: null, line: 0));
        Assert.That(tensorError!.Message, Does.Not.Contain("Scalar.Multiply").And.Contain("an op the engine records for itself"));

        Scalar a = tape.Variable(1.0);
        var scalarError = Assert.Throws<AnomalyException>(() => _ = a * double.NaN);
        Assert.That(scalarError!.Message, Does.Contain("Scalar.Multiply"), "a C# operator on Scalars is where the named form helps");
    }

    [Test]
    public void A_NaN_compares_false_every_way_as_in_PyTorch()
    {
        // torch.ge / le / gt / lt / eq of NaN against anything are all False; 1 − Lt would make NaN ≥ x true.
        Tensor<double> a = Tensor.FromArray([double.NaN, 1.0, 2.0, double.NaN]), b = Tensor.FromArray([1.0, double.NaN, 2.0, double.NaN]);
        Assert.That(a.Ge(b).ToArray(), Is.EqualTo(new[] { 0.0, 0, 1, 0 }));
        Assert.That(a.Le(b).ToArray(), Is.EqualTo(new[] { 0.0, 0, 1, 0 }));
        Assert.That(a.Gt(b).ToArray(), Is.EqualTo(new[] { 0.0, 0, 0, 0 }));
        Assert.That(a.Lt(b).ToArray(), Is.EqualTo(new[] { 0.0, 0, 0, 0 }));
        Assert.That(a.Eq(b).ToArray(), Is.EqualTo(new[] { 0.0, 0, 1, 0 }));
    }
}
