namespace Autodiff.NN.Tests;

/// <summary>
/// A node recorded by a layer names the layer's path in its model and the user's line that called the model: in shape
/// errors, anomaly reports and the tape's listing.
/// </summary>
[TestFixture]
public sealed class ProvenanceTests
{
    private static Sequential Model() => new(new Linear(4, 8), new ReLU(), new Linear(6, 2));

    private static Tensor<float> Batch() => Tensor.Ones<float>(3, 4);

    [Test]
    public void A_shape_error_inside_a_layer_names_the_layer_its_path_and_the_users_line_through_Call()
    {
        var error = Assert.Throws<ArgumentException>(() => Model().Call(Batch()));
        Assert.That(error!.Message, Does.Contain("Linear in Linear (Sequential[2], 6→2) called at ProvenanceTests.cs:"));
        Assert.That(error.Message, Does.Contain("does not fit weight of shape [2, 6]"));
    }

    [Test]
    public void A_shape_error_through_Forward_finds_the_users_line_on_the_stack()
    {
        var error = Assert.Throws<ArgumentException>(() => Model().Forward(Batch()));
        Assert.That(error!.Message, Does.Contain("in Linear (Sequential[2], 6→2) called at ProvenanceTests.cs:"));
    }

    [Test]
    public void The_tape_listing_names_each_layer_and_the_call_site()
    {
        var model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
        model.Parameters()[0].RequiresGrad();
        using var tape = new Tape();
        _ = model.Call(Batch());
        string listing = tape.ToString();
        Assert.That(listing, Does.Contain("in Linear (Sequential[0], 4→8) called at ProvenanceTests.cs:"));
        Assert.That(listing, Does.Contain("in ReLU (Sequential[1]) called at ProvenanceTests.cs:"));
        Assert.That(listing, Does.Contain("in Linear (Sequential[2], 8→2) called at ProvenanceTests.cs:"));
    }

    [Test]
    public void An_anomaly_inside_a_layer_names_the_layer()
    {
        var model = new Sequential(new Linear(4, 2));
        model.Parameters()[0].MutableSpan()[0] = float.NaN;
        using var tape = new Tape { DetectAnomalies = true };
        var error = Assert.Throws<AnomalyException>(() => model.Call(Batch().RequiresGrad()));
        Assert.That(error!.Scope, Does.Contain("Linear (Sequential[0], 4→2) called at ProvenanceTests.cs:"));
        Assert.That(error.Message, Does.Contain("in Linear (Sequential[0], 4→2)"));
    }

    [Test]
    public void Outside_a_layer_nothing_is_added_and_scopes_close_after_an_error()
    {
        Assert.Throws<ArgumentException>(() => Model().Call(Batch()));
        var error = Assert.Throws<ArgumentException>(() => Tensor.Ones<float>(2, 3).MatMul(Tensor.Ones<float>(4, 5)));
        Assert.That(error!.Message, Does.Not.Contain(" in "));
        Assert.That(Autograd.CurrentScope, Is.Empty);
    }

    [Test]
    public void Nested_containers_give_the_full_path()
    {
        var model = new Sequential(new Sequential(new Linear(4, 4), new Linear(5, 2)));
        var error = Assert.Throws<ArgumentException>(() => model.Call(Batch()));
        Assert.That(error!.Message, Does.Contain("in Linear (Sequential[0][1], 5→2) called at"));
    }

    [Test]
    public void A_warm_layer_call_allocates_no_provenance_strings()
    {
        var fit = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
        Tensor<float> x = Batch();
        using (Autograd.NoGrad())
        {
            _ = fit.Call(x);
            long before = GC.GetAllocatedBytesForCurrentThread();
            _ = fit.Call(x);
            long scoped = GC.GetAllocatedBytesForCurrentThread() - before;
            before = GC.GetAllocatedBytesForCurrentThread();
            _ = fit.Forward(x);
            long plain = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.That(scoped, Is.EqualTo(plain), "a scoped call allocates what an unscoped one does, nothing more");
        }
    }
}
