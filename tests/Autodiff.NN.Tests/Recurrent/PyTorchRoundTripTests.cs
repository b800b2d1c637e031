using System.Globalization;
using Autodiff.NN.Serialization;
using static Autodiff.NN.Tests.Recurrent.PyTorchFixtures;

namespace Autodiff.NN.Tests.Recurrent;

/// <summary>
/// The round trip back into PyTorch: state dicts saved by the library load into nn.LSTM, nn.GRU, nn.LSTMCell and
/// nn.GRUCell with <c>load_state_dict(strict=True)</c>, and give the library's outputs (tests/fixtures/pytorch/
/// check_state_dict.py). Needs Debian's python3-torch; skipped with a message when it is not installed.
/// </summary>
[TestFixture]
public sealed class PyTorchRoundTripTests
{
    [Test]
    public void State_dicts_saved_by_the_library_load_into_PyTorch_and_give_the_same_outputs()
    {
        string? python = PythonWithTorch();
        if (python is null)
        {
            Assert.Ignore("PyTorch is not installed: apt-get install python3-torch (Debian) to check the library's state dicts in PyTorch.");
        }

        string directory = Path.Combine(Path.GetTempPath(), "autodiff-roundtrip-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            const int B = 3, T = 4, In = 5, H = 6, L = 2;
            Tensor<float> sequence = Tensor.RandomNormal<float>([B, T, In], seed: 1);

            // Each model has its own seeded initialisation: nothing of PyTorch's goes in, only the library's weights.
            var lstm = new LSTM(In, H, numLayers: L, batchFirst: true, seed: 5);
            Tensor<float> h0 = Tensor.RandomNormal<float>([L, B, H], seed: 2), c0 = Tensor.RandomNormal<float>([L, B, H], seed: 3);
            (Tensor<float> output, Tensor<float> hN, Tensor<float> cN) = lstm.Forward(sequence, (h0, c0));
            Write(directory, "lstm", lstm, Meta("LSTM", In, H, L, batchFirst: true),
                ("input", sequence), ("h0", h0), ("c0", c0), ("output", output), ("h_n", hN), ("c_n", cN));

            var gru = new GRU(In, H, numLayers: L, seed: 6);
            Tensor<float> timeMajor = sequence.Transpose(0, 1);
            (Tensor<float> gruOutput, Tensor<float> gruH) = gru.Forward(timeMajor, h0);
            Write(directory, "gru", gru, Meta("GRU", In, H, L, batchFirst: false),
                ("input", timeMajor), ("h0", h0), ("output", gruOutput), ("h_n", gruH));

            var lstmCell = new LSTMCell(In, H, seed: 7);
            Tensor<float> x = sequence.Narrow(1, 0, 1).Reshape([B, In]), h = h0.Narrow(0, 0, 1).Reshape([B, H]), c = c0.Narrow(0, 0, 1).Reshape([B, H]);
            (Tensor<float> h1, Tensor<float> c1) = lstmCell.Forward(x, (h, c));
            Write(directory, "lstm_cell", lstmCell, Meta("LSTMCell", In, H, 1, false), ("input", x), ("h", h), ("c", c), ("h_1", h1), ("c_1", c1));

            var gruCell = new GRUCell(In, H, seed: 8);
            Write(directory, "gru_cell", gruCell, Meta("GRUCell", In, H, 1, false), ("input", x), ("h", h), ("h_1", gruCell.Forward(x, h)));

            string script = Path.Combine(PyTorchFixtures.Directory, "check_state_dict.py");
            (int exit, string printed) = Run(python, ["-B", script, directory], TimeSpan.FromMinutes(5));
            TestContext.Out.WriteLine(printed);
            Assert.That(exit, Is.Zero, printed);
            Assert.That(printed.Split('\n').Count(l => l.EndsWith("-> OK", StringComparison.Ordinal)), Is.EqualTo(4), printed);
        }
        finally
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    private static Dictionary<string, string> Meta(string kind, int input, int hidden, int layers, bool batchFirst) => new()
    {
        ["class"] = kind,
        ["input_size"] = input.ToString(CultureInfo.InvariantCulture),
        ["hidden_size"] = hidden.ToString(CultureInfo.InvariantCulture),
        ["num_layers"] = layers.ToString(CultureInfo.InvariantCulture),
        ["batch_first"] = batchFirst ? "True" : "False",
    };

    private static void Write(string directory, string name, Module model, Dictionary<string, string> metadata, params (string Name, Tensor<float> Value)[] data)
    {
        SafeTensors.Save(Path.Combine(directory, name + ".state.safetensors"), model.StateDict());
        var tensors = new OrderedDictionary<string, Tensor<float>>(StringComparer.Ordinal);
        foreach ((string key, Tensor<float> value) in data)
        {
            tensors.Add(key, value);
        }

        SafeTensors.Save(Path.Combine(directory, name + ".data.safetensors"), tensors, metadata);
    }
}
