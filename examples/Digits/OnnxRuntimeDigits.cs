using Microsoft.ML.OnnxRuntime;
using OrtTensors = Microsoft.ML.OnnxRuntime.Tensors;

/// <summary>The exported digits model run by ONNX Runtime, in a file of its own (ORT's Tensor would clash with Autodiff's).</summary>
internal static class OnnxRuntimeDigits
{
    /// <summary>The logits ORT computes for every row of <paramref name="features"/> [N, 64], row-major [N, 10].</summary>
    public static float[] Logits(string path, Autodiff.Tensor<float> features)
    {
        using var session = new InferenceSession(path);
        var input = new OrtTensors.DenseTensor<float>(features.ToArray(), features.ShapeArray());
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        return [.. results[0].AsTensor<float>()];
    }

    /// <summary>The index of the largest of each row of <paramref name="classes"/> values.</summary>
    public static int[] ArgMax(float[] logits, int classes)
        => [.. Enumerable.Range(0, logits.Length / classes).Select(r => Array.IndexOf(logits, logits.AsSpan(r * classes, classes).ToArray().Max(), r * classes) - (r * classes))];
}
