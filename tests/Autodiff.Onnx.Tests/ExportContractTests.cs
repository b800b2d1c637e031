using System.Text;

namespace Autodiff.NN.OnnxTests;

/// <summary>What the exporter promises besides agreement: names, refusals, modes and files.</summary>
[TestFixture]
public sealed class ExportContractTests
{
    private static Tensor<float> Batch(params int[] shape) => Tensor.RandomNormal<float>(shape, 5);

    [Test]
    public void Weights_are_initializers_under_their_state_dict_names()
    {
        var model = new Sequential(new Conv2d(1, 2, 3, seed: 1), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3, seed: 2));
        byte[] onnx = Onnx.ToBytes(model, a => [model.Forward(a.Float(0))], [OnnxInput.Float("input", Batch(2, 1, 6, 6))]);
        string text = Encoding.UTF8.GetString(onnx);
        Assert.That(model.StateDict().Keys, Is.Not.Empty);
        foreach (string key in model.StateDict().Keys.Where(k => !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)))
        {
            Assert.That(text, Does.Contain(key), $"initializer {key}");
        }

        // BatchNorm's count of training batches plays no part in the evaluation graph (torch.onnx.export drops it too).
        Assert.That(text, Does.Not.Contain("num_batches_tracked"));
    }

    [Test]
    public void An_op_without_an_ONNX_equivalent_is_refused_by_name_and_line()
    {
        var model = new Sequential();
        var e = Assert.Throws<NotSupportedException>(() => Onnx.ToBytes(model, a => [Tensor.Unfold(a.Float(0), 2, 2)], [OnnxInput.Float("input", Batch(2, 1, 4, 4))]));
        Assert.That(e!.Message, Does.Contain("Unfold").And.Contain("ExportContractTests.cs:"));
    }

    [Test]
    public void A_value_computed_outside_the_traced_ops_is_refused_rather_than_frozen()
    {
        // ToArray and FromArray leave the engine's ops: the result depends on the input, but no traced op says how.
        var model = new Linear(3, 3, seed: 1);
        var e = Assert.Throws<NotSupportedException>(() => Onnx.ToBytes(model, a =>
        {
            Tensor<float> x = a.Float(0);
            float[] copied = x.ToArray();
            return [model.Forward(Tensor.FromArray<float>(copied, x.ShapeArray()).Add(x))];
        }, [OnnxInput.Float("input", Batch(2, 3))]));
        Assert.That(e!.Message, Does.Contain("not computed by a traced op").Or.Contain("trace does not see"));
    }

    [Test]
    public void Indices_that_follow_the_batch_are_refused_rather_than_frozen()
    {
        // torch.gather's index has the result's shape, so it grows with the batch: one fixed index cannot serve all.
        var model = new Linear(4, 4, seed: 1);
        var e = Assert.Throws<NotSupportedException>(() => Onnx.ToBytes(model, a =>
        {
            Tensor<float> y = model.Forward(a.Float(0));
            return [y.Gather(1, [.. Enumerable.Range(0, y.Shape[0]).Select(i => i % 4)])];
        }, [OnnxInput.Float("input", Batch(3, 4))]));
        Assert.That(e!.Message, Does.Contain("Gather").And.Contain("ExportContractTests.cs:"));
    }

    [Test]
    public void Training_mode_is_restored_and_nothing_is_updated()
    {
        var bn = new BatchNorm1d(3);
        var model = new Sequential(new Linear(3, 3, seed: 1), bn, new Dropout(0.5, seed: 2));
        float[] before = bn.RunningMean!.ToArray();
        Assert.That(model.IsTraining, Is.True);
        Onnx.ToBytes(model, a => [model.Forward(a.Float(0))], [OnnxInput.Float("input", Batch(4, 3))]);
        Assert.That(model.IsTraining, Is.True);
        Assert.That(bn.RunningMean.ToArray(), Is.EqualTo(before));
    }

    [Test]
    public void Export_writes_the_file_whole_or_not_at_all()
    {
        string dir = Path.Combine(Path.GetTempPath(), "autodiff-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "model.onnx");
            var model = new Linear(3, 2, seed: 1);
            Onnx.Export(model, Batch(2, 3), path);
            byte[] good = File.ReadAllBytes(path);
            Assert.That(good, Is.EqualTo(Onnx.ToBytes(model, a => [model.Forward(a.Float(0))], [OnnxInput.Float("input", Batch(2, 3))], ["output"])));

            // A failing export (an unsupported op) leaves the earlier file as it was and no temporary beside it.
            Assert.Throws<NotSupportedException>(() => Onnx.Export(model, path, a => [Tensor.Unfold(a.Float(0), 1, 1)], [OnnxInput.Float("input", Batch(2, 1, 2, 2))]));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(good));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void The_batch_axis_is_dynamic_and_the_other_axes_fixed()
    {
        var model = new Linear(4, 2, seed: 1);
        byte[] onnx = Onnx.ToBytes(model, a => [model.Forward(a.Float(0))], [OnnxInput.Float("input", Batch(3, 4))]);
        foreach (int batch in new[] { 1, 2, 7 })
        {
            Tensor<float> x = Tensor.RandomNormal<float>([batch, 4], batch);
            float[][] ort = OnnxRuntimeCheck.Run(onnx, [OnnxInput.Float("input", x)], [x]);
            Tensor<float> ours;
            using (Autograd.NoGrad())
            {
                ours = model.Forward(x);
            }

            Assert.That(ort[0], Is.EqualTo(ours.ToArray()).Within(1e-6f), $"batch {batch}");
        }
    }

    [Test]
    public void A_trace_lists_the_ops_with_their_arguments()
    {
        using OpTrace trace = Autograd.Trace();
        Tensor<float> x = Tensor.Ones<float>(2, 3);
        _ = x.Permute([1, 0]).Sum(0, keepDim: true).Mul(2f);
        Assert.That(trace.Ops.Select(o => o.Op), Is.EqualTo(new[] { "Permute", "Sum", "Mul" }));
        Assert.That(trace.Ops[0].Attributes["order"], Is.EqualTo(new[] { 1, 0 }));
        Assert.That(trace.Ops[1].Attributes["axes"], Is.EqualTo(new[] { 0 }));
        Assert.That(trace.Ops[2].Attributes["c"], Is.EqualTo(2.0));
        Assert.That(trace.ToString(), Does.Contain("Permute").And.Contain("ExportContractTests.cs:"));
    }
}
