using Microsoft.ML.OnnxRuntime;
using OrtTensors = Microsoft.ML.OnnxRuntime.Tensors;

namespace Autodiff.NN.OnnxTests;

/// <summary>Runs an exported model in ONNX Runtime and compares its outputs with the library's.</summary>
internal static class OnnxRuntimeCheck
{
    /// <summary>The largest |ORT − library| / (1 + |library|) over every output element (NaN where exactly one of them is NaN).</summary>
    public static double MaxRelativeDifference(byte[] model, IReadOnlyList<OnnxInput> inputs, IReadOnlyList<object> values, IReadOnlyList<Tensor<float>> expected)
    {
        float[][] actual = Run(model, inputs, values);
        Assert.That(actual, Has.Length.EqualTo(expected.Count), "output count");
        double worst = 0;
        for (int o = 0; o < expected.Count; o++)
        {
            float[] want = expected[o].ToArray();
            Assert.That(actual[o], Has.Length.EqualTo(want.Length), $"output {o}: element count");
            for (int i = 0; i < want.Length; i++)
            {
                if (float.IsNaN(actual[o][i]) != float.IsNaN(want[i]))
                {
                    return double.NaN;
                }

                if (!float.IsNaN(want[i]) && actual[o][i] != want[i])
                {
                    worst = Math.Max(worst, Math.Abs(actual[o][i] - want[i]) / (1 + Math.Abs(want[i])));
                }
            }
        }

        return worst;
    }

    /// <summary>The outputs of the model in ORT, each flattened. A value is a Tensor&lt;float&gt; or (ids, shape).</summary>
    public static float[][] Run(byte[] model, IReadOnlyList<OnnxInput> inputs, IReadOnlyList<object> values)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var feeds = new List<NamedOnnxValue>();
        for (int i = 0; i < inputs.Count; i++)
        {
            feeds.Add(values[i] switch
            {
                Tensor<float> x => NamedOnnxValue.CreateFromTensor(inputs[i].Name, new OrtTensors.DenseTensor<float>(x.ToArray(), x.ShapeArray())),
                ValueTuple<int[], int[]> tokens => NamedOnnxValue.CreateFromTensor(inputs[i].Name, new OrtTensors.DenseTensor<long>(tokens.Item1.Select(v => (long)v).ToArray(), tokens.Item2)),
                _ => throw new ArgumentException("an input value is a Tensor<float> or (ids, shape)"),
            });
        }

        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(feeds);
        return [.. results.Select(r => r.AsTensor<float>().ToArray())];
    }
}
