using Autodiff.NN.Serialization;
using static Autodiff.NN.Tests.Recurrent.PyTorchFixtures;

namespace Autodiff.NN.Tests.Recurrent;

/// <summary>
/// LSTM, GRU, LSTMCell and GRUCell against PyTorch: its state dicts load strictly, with no renaming; outputs, final
/// states and the gradients of a fixed loss w.r.t. the input, the initial state and every parameter agree with
/// PyTorch's (computed in float64 from the same float32 values) to 1e-5 relative; the library's own state dicts have
/// PyTorch's keys, order and shapes. The fixtures are committed (tests/fixtures/pytorch, made by make_fixtures.py).
/// </summary>
[TestFixture]
public sealed class PyTorchFixtureTests
{
    [Test]
    public void LSTM_two_layers_batch_first_matches_PyTorch_outputs_and_gradients()
    {
        (Dictionary<string, Tensor<float>> state, Dictionary<string, Tensor<float>> data) = Load("lstm");
        var lstm = new LSTM(3, 4, numLayers: 2, batchFirst: true, seed: 99);
        lstm.LoadStateDict(state, strict: true);
        Tensor<float> x = data["input"].Clone().RequiresGrad(), h0 = data["h0"].Clone().RequiresGrad(), c0 = data["c0"].Clone().RequiresGrad();

        Tensor<float> output, hN, cN;
        using (var tape = new Tape())
        {
            (output, hN, cN) = lstm.Forward(x, (h0, c0));
            Loss(data, ("output", output), ("h_n", hN), ("c_n", cN)).Backward();
        }

        AssertClose("lstm", [
            ("output", output, data["output"]), ("h_n", hN, data["h_n"]), ("c_n", cN, data["c_n"]),
            ("grad.input", x.Grad!, data["grad.input"]), ("grad.h0", h0.Grad!, data["grad.h0"]), ("grad.c0", c0.Grad!, data["grad.c0"]),
            .. ParameterGradients(lstm, data)]);
    }

    [Test]
    public void GRU_two_layers_time_major_from_the_zero_state_matches_PyTorch_outputs_and_gradients()
    {
        (Dictionary<string, Tensor<float>> state, Dictionary<string, Tensor<float>> data) = Load("gru");
        var gru = new GRU(3, 4, numLayers: 2, seed: 99);
        gru.LoadStateDict(state, strict: true);
        Tensor<float> x = data["input"].Clone().RequiresGrad();

        Tensor<float> output, hN;
        using (var tape = new Tape())
        {
            (output, hN) = gru.Forward(x);
            Loss(data, ("output", output), ("h_n", hN)).Backward();
        }

        AssertClose("gru", [
            ("output", output, data["output"]), ("h_n", hN, data["h_n"]), ("grad.input", x.Grad!, data["grad.input"]),
            .. ParameterGradients(gru, data)]);
    }

    [Test]
    public void LSTMCell_matches_PyTorch_outputs_and_gradients()
    {
        (Dictionary<string, Tensor<float>> state, Dictionary<string, Tensor<float>> data) = Load("lstm_cell");
        var cell = new LSTMCell(3, 4, seed: 99);
        cell.LoadStateDict(state, strict: true);
        Tensor<float> x = data["input"].Clone().RequiresGrad(), h = data["h"].Clone().RequiresGrad(), c = data["c"].Clone().RequiresGrad();

        Tensor<float> h1, c1;
        using (var tape = new Tape())
        {
            (h1, c1) = cell.Forward(x, (h, c));
            Loss(data, ("h_1", h1), ("c_1", c1)).Backward();
        }

        AssertClose("lstm_cell", [
            ("h_1", h1, data["h_1"]), ("c_1", c1, data["c_1"]),
            ("grad.input", x.Grad!, data["grad.input"]), ("grad.h", h.Grad!, data["grad.h"]), ("grad.c", c.Grad!, data["grad.c"]),
            .. ParameterGradients(cell, data)]);
    }

    [Test]
    public void GRUCell_matches_PyTorch_outputs_and_gradients()
    {
        (Dictionary<string, Tensor<float>> state, Dictionary<string, Tensor<float>> data) = Load("gru_cell");
        var cell = new GRUCell(3, 4, seed: 99);
        cell.LoadStateDict(state, strict: true);
        Tensor<float> x = data["input"].Clone().RequiresGrad(), h = data["h"].Clone().RequiresGrad();

        Tensor<float> h1;
        using (var tape = new Tape())
        {
            h1 = cell.Forward(x, h);
            Loss(data, ("h_1", h1)).Backward();
        }

        AssertClose("gru_cell", [
            ("h_1", h1, data["h_1"]), ("grad.input", x.Grad!, data["grad.input"]), ("grad.h", h.Grad!, data["grad.h"]),
            .. ParameterGradients(cell, data)]);
    }

    private static IEnumerable<Module> LibraryTwins()
    {
        yield return new LSTM(3, 4, numLayers: 2, batchFirst: true);
        yield return new GRU(3, 4, numLayers: 2);
        yield return new LSTMCell(3, 4);
        yield return new GRUCell(3, 4);
    }

    [TestCase("lstm", 0)]
    [TestCase("gru", 1)]
    [TestCase("lstm_cell", 2)]
    [TestCase("gru_cell", 3)]
    public void The_library_state_dict_has_PyTorch_keys_order_and_shapes(string fixture, int twin)
    {
        Dictionary<string, Tensor<float>> pytorch = Load(fixture).State;
        Module model = LibraryTwins().ElementAt(twin);
        OrderedDictionary<string, Tensor<float>> ours = model.StateDict();
        Assert.That(ours.Keys, Is.EqualTo(pytorch.Keys), "keys, in PyTorch's order");
        Assert.That(ours.Select(p => p.Value.ShapeArray()), Is.EqualTo(pytorch.Values.Select(t => t.ShapeArray())), "shapes");

        // And written to a file, what PyTorch would read: the same names and shapes come back.
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-{fixture}-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, ours);
            Dictionary<string, Tensor<float>> saved = SafeTensors.Load(path);
            Assert.That(saved.Keys, Is.EqualTo(pytorch.Keys));
            Assert.That(saved.Values.Select(t => t.ShapeArray()), Is.EqualTo(pytorch.Values.Select(t => t.ShapeArray())));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void A_state_dict_of_another_shape_is_rejected_naming_the_keys()
    {
        Dictionary<string, Tensor<float>> pytorch = Load("lstm").State;
        var oneLayer = new LSTM(3, 4);
        var ex = Assert.Throws<ArgumentException>(() => oneLayer.LoadStateDict(pytorch, strict: true));
        Assert.That(ex!.Message, Does.Contain("unexpected keys: weight_ih_l1 [16, 4]"));
        var wider = new GRU(3, 5, numLayers: 2);
        ex = Assert.Throws<ArgumentException>(() => wider.LoadStateDict(Load("gru").State));
        Assert.That(ex!.Message, Does.Contain("weight_hh_l0: model [15, 5], state dict [12, 4]"));
    }

    /// <summary>Σ output ⊙ loss_weight.output + …: the scalar loss whose gradients the fixture holds.</summary>
    private static Tensor<float> Loss(Dictionary<string, Tensor<float>> data, params (string Name, Tensor<float> Value)[] outputs)
    {
        Tensor<float>? loss = null;
        foreach ((string name, Tensor<float> value) in outputs)
        {
            Tensor<float> term = value.Mul(data["loss_weight." + name]).Sum();
            loss = loss is null ? term : loss.Add(term);
        }

        return loss!;
    }

    private static IEnumerable<(string, Tensor<float>, Tensor<float>)> ParameterGradients(Module model, Dictionary<string, Tensor<float>> data)
        => model.NamedParameters().Select(p => ("grad." + p.Name, p.Parameter.Grad!, data["grad." + p.Name]));
}
