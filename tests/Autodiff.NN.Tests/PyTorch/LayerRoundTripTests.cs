using System.Globalization;
using Autodiff.NN.Serialization;
using Autodiff.NN.Tests.Data;
using static Autodiff.NN.Tests.Recurrent.PyTorchFixtures;

namespace Autodiff.NN.Tests.PyTorch;

/// <summary>
/// State dicts in both directions for every layer of the table and the three example models (<see cref="LayerTable"/>,
/// twinned in tests/fixtures/pytorch/layers.py). From PyTorch: its state dicts (float32 weights, int64
/// <c>num_batches_tracked</c>) load strictly with no renaming, and the outputs and the gradients of a fixed loss agree
/// with PyTorch's float64 reference to 1e-5 relative. To PyTorch: the library's own models, saved by
/// <see cref="Module.Save"/>, load strictly into the twins (check_state_dict.py) and give the library's outputs.
/// </summary>
[TestFixture]
public sealed class LayerRoundTripTests
{
    private static string Fixtures => Path.Combine(Recurrent.PyTorchFixtures.Directory, "layers");

    private static Dictionary<string, Tensor<float>> Fixture(string name, string part) => SafeTensors.Load(Path.Combine(Fixtures, $"{name}.{part}.safetensors"));

    /// <summary>The inputs of a data file: the keys that are neither outputs nor loss weights nor gradients.</summary>
    private static Dictionary<string, Tensor<float>> Inputs(Dictionary<string, Tensor<float>> data)
        => data.Where(p => !p.Key.Contains('.', StringComparison.Ordinal) && !p.Key.StartsWith("output", StringComparison.Ordinal))
               .ToDictionary(p => p.Key, p => p.Value);

    private static string OutputName(int k, int count) => count == 1 ? "output" : "output" + k.ToString(CultureInfo.InvariantCulture);

    [TestCaseSource(typeof(LayerTable), nameof(LayerTable.Cases))]
    public void A_PyTorch_state_dict_loads_strictly_and_gives_PyTorch_outputs_and_gradients(LayerCase c)
    {
        Dictionary<string, Tensor<float>> state = Fixture(c.Name, "state"), data = Fixture(c.Name, "data");
        Module model = c.Make(99);
        Assert.That(model.LoadStateDict(state, strict: true).ToString(), Is.EqualTo("<All keys matched successfully>"));
        Assert.That(model.StateDict().Keys, Is.EqualTo(state.Keys), "PyTorch's keys, in PyTorch's order");
        foreach ((string name, Tensor<float> buffer) in model.NamedBuffers().Where(b => b.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
        {
            Assert.That(buffer.Item(), Is.EqualTo(c.TrainBatches), $"{name}, stored by PyTorch as int64");
        }

        model.Eval();
        bool gradients = data.Keys.Any(k => k.StartsWith("grad.", StringComparison.Ordinal));
        var inputs = Inputs(data).ToDictionary(p => p.Key, p => data.ContainsKey("grad." + p.Key) ? p.Value.Clone().RequiresGrad() : p.Value);

        Tensor<float>[] outputs;
        using (var tape = new Tape())
        {
            outputs = c.Forward(model, inputs);
            if (gradients)
            {
                Tensor<float> loss = outputs.Select((o, k) => o.Mul(data["loss_weight." + OutputName(k, outputs.Length)]).Sum()).Aggregate((a, b) => a.Add(b));
                loss.Backward();
            }
        }

        var pairs = outputs.Select((o, k) => (OutputName(k, outputs.Length), o, data[OutputName(k, outputs.Length)])).ToList();
        if (gradients)
        {
            pairs.AddRange(inputs.Where(p => p.Value.Grad is not null).Select(p => ("grad." + p.Key, p.Value.Grad!, data["grad." + p.Key])));
            pairs.AddRange(model.NamedParameters().Select(p => ("grad." + p.Name, p.Parameter.Grad!, data["grad." + p.Name])));
        }

        AssertClose(c.Name, pairs);
    }

    [Test]
    public void PyTorch_conversions_of_every_dtype_are_the_library_conversions_bit_for_bit()
    {
        string path = Path.Combine(Fixtures, "dtypes.safetensors");
        Dictionary<string, Tensor<float>> floats = SafeTensors.Load(path);
        Dictionary<string, Tensor<double>> doubles = SafeTensors.LoadDouble(path);
        string[] stored = [.. floats.Keys.Where(k => !k.Contains('.', StringComparison.Ordinal))];
        Assert.That(SafeTensors.Describe(path).Where(e => stored.Contains(e.Name)).Select(e => e.Dtype).Distinct().Count(), Is.EqualTo(10), "every dtype the library reads");
        foreach (string name in stored)
        {
            Assert.That(floats[name].ShapeArray(), Is.EqualTo(floats[name + ".as_float32"].ShapeArray()), name);
            Assert.That(floats[name].ToArray().Select(FloatBits), Is.EqualTo(floats[name + ".as_float32"].ToArray().Select(FloatBits)), $"{name} → float32, as torch's .float()");
            Assert.That(doubles[name].ToArray().Select(DoubleBits), Is.EqualTo(doubles[name + ".as_float64"].ToArray().Select(DoubleBits)), $"{name} → float64, as torch's .double()");
        }

        // Any NaN is a NaN; everything else to the bit (the sign of zero included).
        static long FloatBits(float v) => float.IsNaN(v) ? -1 : BitConverter.SingleToInt32Bits(v);
        static long DoubleBits(double v) => double.IsNaN(v) ? -1 : BitConverter.DoubleToInt64Bits(v);
    }

    [Test]
    public void The_library_state_dicts_load_strictly_into_the_PyTorch_twins_and_give_the_library_outputs()
    {
        string? python = PythonWithTorch();
        if (python is null)
        {
            Assert.Ignore("PyTorch is not installed: apt-get install python3-torch (Debian) to check the library's state dicts in PyTorch.");
        }

        using var dir = new TempDirectory();
        int count = 0;
        foreach (LayerCase c in LayerTable.Cases())
        {
            int seed = 5 + (10 * count++);
            Module model = c.Make(seed);
            MoveParameters(model, seed);
            Dictionary<string, Tensor<float>> inputs = Inputs(Fixture(c.Name, "data"));
            using (Autograd.NoGrad())
            {
                model.Train();
                for (int b = 0; b < c.TrainBatches; b++)
                {
                    c.Forward(model, inputs.ToDictionary(p => p.Key, p => Tensor.RandomNormal<float>(p.Value.ShapeArray(), seed + b).Mul(2f).Add(0.5f)));
                }

                model.Eval();
                Tensor<float>[] outputs = c.Forward(model, inputs);
                model.Save(dir.File(c.Name + ".state.safetensors"));

                var data = new OrderedDictionary<string, Tensor<float>>(StringComparer.Ordinal);
                foreach ((string key, Tensor<float> value) in inputs)
                {
                    data.Add(key, value);
                }

                for (int k = 0; k < outputs.Length; k++)
                {
                    data.Add(OutputName(k, outputs.Length), outputs[k]);
                }

                // Token ids go to PyTorch as int64, the type nn.Embedding takes.
                var dtypes = inputs.Keys.Where(k => k == "tokens").ToDictionary(k => k, _ => SafeTensorsDtype.I64);
                SafeTensors.Save(dir.File(c.Name + ".data.safetensors"), data, new Dictionary<string, string> { ["twin"] = c.Name }, dtypes);
            }
        }

        WriteConversions(dir.File("dtypes.safetensors"));
        string script = Path.Combine(Recurrent.PyTorchFixtures.Directory, "check_state_dict.py");
        (int exit, string printed) = Run(python, ["-B", script, dir.Path], TimeSpan.FromMinutes(5));
        TestContext.Out.WriteLine(printed);
        Assert.That(exit, Is.Zero, printed);
        Assert.That(printed.Split('\n').Count(l => l.TrimEnd().EndsWith("-> OK", StringComparison.Ordinal)), Is.EqualTo(count + 1), printed);
        Assert.That(printed, Does.Contain("1.num_batches_tracked = 3 (int64)").And.Contain("5.num_batches_tracked = 2 (int64)"), "batch norm's counter arrives as int64");
    }

    /// <summary>Every parameter moved by a quarter of its own scale, as layers.py moves PyTorch's (norms start at 1 and 0).</summary>
    private static void MoveParameters(Module model, int seed)
    {
        int k = 0;
        foreach ((_, Tensor<float> p) in model.NamedParameters())
        {
            Span<float> values = p.MutableSpan();
            float scale = values.Length == 0 ? 1f : values.ToArray().Average(MathF.Abs);
            scale = scale == 0 ? 1f : scale;
            ReadOnlySpan<float> noise = Tensor.RandomNormal<float>(p.ShapeArray(), seed + 50 + k++).Span;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] += 0.25f * scale * noise[i];
            }
        }
    }

    /// <summary>
    /// Float32 values (ties of bfloat16 and half rounding among them) beside the library's conversions to other dtypes;
    /// check_state_dict.py compares each with torch's own <c>x.to(dtype)</c>, bit for bit.
    /// </summary>
    private static void WriteConversions(string path)
    {
        float[] values = [1 + (1f / 256), 1 + (3f / 256), 0.1f, -2.5f, 65504f, 65519f, 1e-8f, 3.0e38f, -0f, float.Epsilon, float.PositiveInfinity];
        float[] random = Tensor.RandomNormal<float>([64], 7).Mul(100f).ToArray();
        Tensor<float> w = Tensor.FromArray([.. values, .. random]);
        Tensor<float> n = Tensor.FromArray<float>([0, -5, 127, -128, 16777216, 3]);
        Tensor<float> u = Tensor.FromArray<float>([0, 1, 255, 7]);
        Tensor<float> b = Tensor.FromArray<float>([0, 1, 1, 0]).Reshape([2, 2]);
        var tensors = new OrderedDictionary<string, Tensor<float>>(StringComparer.Ordinal)
        {
            ["w"] = w,
            ["w.F64"] = w,
            ["w.BF16"] = w,
            ["h"] = w.Narrow(0, 0, 7),
            ["h.F16"] = w.Narrow(0, 0, 7),
            ["n"] = n,
            ["n.I64"] = n,
            ["n.I32"] = n,
            ["s"] = n.Narrow(0, 0, 4),
            ["s.I16"] = n.Narrow(0, 0, 4),
            ["s.I8"] = n.Narrow(0, 0, 4),
            ["u"] = u,
            ["u.U8"] = u,
            ["b"] = b,
            ["b.BOOL"] = b,
        };
        var dtypes = tensors.Keys.Where(k => k.Contains('.', StringComparison.Ordinal))
            .ToDictionary(k => k, k => Enum.Parse<SafeTensorsDtype>(k[(k.IndexOf('.', StringComparison.Ordinal) + 1)..], ignoreCase: true));
        SafeTensors.Save(path, tensors, null, dtypes);
    }
}
