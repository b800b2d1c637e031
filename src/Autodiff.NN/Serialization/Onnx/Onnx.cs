using System.Globalization;

namespace Autodiff.NN;

/// <summary>
/// ONNX export, traced from the engine's ops (<see cref="Autograd.Trace"/>): the graph a forward pass runs becomes
/// an ONNX model (opset 17) whose weights are initializers under the module's state-dict names, with a dynamic batch
/// axis, to be run by ONNX Runtime or any other ONNX back end.
/// </summary>
/// <remarks>
/// <para>
/// The module is put in evaluation mode for the export (and put back afterwards): dropout is the identity, batch
/// norm uses its running statistics. The forward pass is traced twice, the second time with a batch of one more row
/// (the sample's rows reversed, then its first row again): the extents that differ between the two traces are the
/// batch axis, and a tensor that enters the graph from outside the traced ops (a constant) must be the same in both,
/// so that a value computed by something the trace cannot see is refused rather than frozen into the file.
/// </para>
/// <para>
/// Control flow in the forward pass is frozen at the trace, as with <c>torch.onnx.export</c>'s tracer; sequence
/// lengths are fixed (the recurrent layers are unrolled over the sample's time steps), only the batch axis is free.
/// An op without an ONNX equivalent throws <see cref="NotSupportedException"/> naming it and the line that called it.
/// The file is written to a temporary name beside the target and renamed, so a failed export leaves no half-written file.
/// </para>
/// </remarks>
public static class Onnx
{
    /// <summary>The opset the exporter writes.</summary>
    public const int DefaultOpset = 17;

    /// <summary>
    /// Exports a module with one float input and one output: <c>Onnx.Export(model, sampleBatch, "model.onnx")</c>.
    /// The input is named "input" (batch axis 0, dynamic), the output "output".
    /// </summary>
    /// <param name="module">The model.</param>
    /// <param name="sampleInput">A batch shaped as the model expects; its batch axis (0) becomes dynamic.</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="opset">The ONNX opset; 17 is the one supported.</param>
    public static void Export(Module<Tensor<float>, Tensor<float>> module, Tensor<float> sampleInput, string path, int opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(sampleInput);
        Export(module, path, args => [module.Forward(args.Float(0))], [OnnxInput.Float("input", sampleInput)], ["output"], opset);
    }

    /// <summary>
    /// Exports any forward computation of a module: several inputs (float tensors or integer token ids), several
    /// outputs, e.g. an LSTM's output and final states, or a language model fed token ids:
    /// <c>Onnx.Export(model, "lm.onnx", a => [model.Forward(a.Tokens(0), a.Shape(0))], [OnnxInput.Tokens("tokens", ids, 4, 64)])</c>.
    /// </summary>
    /// <param name="module">The module whose parameters and buffers become initializers (under their state-dict names).</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="forward">The computation, reading its inputs from the argument (it is called twice).</param>
    /// <param name="inputs">The graph's inputs with sample values.</param>
    /// <param name="outputNames">Names of the outputs; "output", "output1", … when null.</param>
    /// <param name="opset">The ONNX opset; 17 is the one supported.</param>
    public static void Export(Module module, string path, Func<OnnxArguments, IReadOnlyList<Tensor<float>>> forward, IReadOnlyList<OnnxInput> inputs, IReadOnlyList<string>? outputNames = null, int opset = DefaultOpset)
    {
        byte[] model = ToBytes(module, forward, inputs, outputNames, opset);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string temporary = full + ".partial-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllBytes(temporary, model);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The ONNX model as bytes (what <see cref="Export(Module, string, Func{OnnxArguments, IReadOnlyList{Tensor{float}}}, IReadOnlyList{OnnxInput}, IReadOnlyList{string}?, int)"/> writes).</summary>
    /// <param name="module">The module whose parameters and buffers become initializers.</param>
    /// <param name="forward">The computation (called twice).</param>
    /// <param name="inputs">The graph's inputs with sample values.</param>
    /// <param name="outputNames">Names of the outputs, or null.</param>
    /// <param name="opset">The ONNX opset; 17 is the one supported.</param>
    public static byte[] ToBytes(Module module, Func<OnnxArguments, IReadOnlyList<Tensor<float>>> forward, IReadOnlyList<OnnxInput> inputs, IReadOnlyList<string>? outputNames = null, int opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inputs);
        if (opset != DefaultOpset)
        {
            throw new NotSupportedException($"Onnx.Export: opset {opset} is not supported; the exporter writes opset {DefaultOpset} (ONNX 1.12, read by every ONNX Runtime since 1.12).");
        }

        if (inputs.Count == 0)
        {
            throw new ArgumentException("Onnx.Export: give at least one input.", nameof(inputs));
        }

        return OnnxExporter.Export(module, forward, inputs, outputNames, opset);
    }
}

/// <summary>An input of an exported graph: its name, element type, sample value and which axis is the batch.</summary>
public sealed class OnnxInput
{
    private OnnxInput(string name, Tensor<float>? floats, int[]? tokens, int[] shape, int? batchAxis)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (batchAxis is int b && (b < 0 || b >= shape.Length || shape[b] < 1))
        {
            throw new ArgumentException($"OnnxInput '{name}': batch axis {b} is not an axis of shape {Functional.Format(shape)} with at least one row.", nameof(batchAxis));
        }

        Name = name;
        Sample = floats;
        SampleTokens = tokens;
        Shape = shape;
        BatchAxis = batchAxis;
    }

    /// <summary>The graph input's name.</summary>
    public string Name { get; }

    /// <summary>The sample's shape.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The dynamic axis, or null for a fully fixed shape.</summary>
    public int? BatchAxis { get; }

    internal Tensor<float>? Sample { get; }

    internal int[]? SampleTokens { get; }

    /// <summary>A float32 input.</summary>
    /// <param name="name">The graph input's name.</param>
    /// <param name="sample">A sample value.</param>
    /// <param name="batchAxis">The dynamic axis (0 for batch-first data; 1 for a time-first sequence); null for none.</param>
    public static OnnxInput Float(string name, Tensor<float> sample, int? batchAxis = 0)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return new(name, sample, null, [.. sample.Shape], batchAxis);
    }

    /// <summary>An int64 input of indices (token ids for an <see cref="Embedding"/>), row-major with the given shape.</summary>
    /// <param name="name">The graph input's name.</param>
    /// <param name="sample">Sample indices.</param>
    /// <param name="shape">Their shape, e.g. [B, T].</param>
    public static OnnxInput Tokens(string name, int[] sample, params int[] shape) => Tokens(name, sample, shape, 0);

    /// <summary>An int64 input of indices with a chosen dynamic axis.</summary>
    /// <param name="name">The graph input's name.</param>
    /// <param name="sample">Sample indices.</param>
    /// <param name="shape">Their shape.</param>
    /// <param name="batchAxis">The dynamic axis, or null for none.</param>
    public static OnnxInput Tokens(string name, int[] sample, int[] shape, int? batchAxis)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Aggregate(1L, (p, d) => p * d) != sample.Length)
        {
            throw new ArgumentException($"OnnxInput '{name}': {sample.Length} indices do not fill shape {Functional.Format(shape)}.", nameof(shape));
        }

        return new(name, null, [.. sample], [.. shape], batchAxis);
    }
}

/// <summary>The inputs as the traced forward pass sees them (the sample, or the sample with one more row).</summary>
public sealed class OnnxArguments
{
    private readonly object[] _values;
    private readonly int[][] _shapes;

    /// <summary>The inputs' own sample values: to run the forward computation given to the exporter outside it.</summary>
    /// <param name="inputs">The inputs.</param>
    public OnnxArguments(IReadOnlyList<OnnxInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        _values = [.. inputs.Select(i => i.Sample ?? (object)i.SampleTokens!)];
        _shapes = [.. inputs.Select(i => i.Shape.ToArray())];
    }

    internal OnnxArguments(object[] values, int[][] shapes)
    {
        _values = values;
        _shapes = shapes;
    }

    /// <summary>Input <paramref name="index"/>, a float input.</summary>
    /// <param name="index">Its position in the inputs.</param>
    public Tensor<float> Float(int index) => _values[index] as Tensor<float>
        ?? throw new InvalidOperationException($"Onnx.Export: input {index} holds token ids; read it with Tokens({index}).");

    /// <summary>Input <paramref name="index"/>, a token input, as indices in row-major order.</summary>
    /// <param name="index">Its position in the inputs.</param>
    public int[] Tokens(int index) => _values[index] as int[]
        ?? throw new InvalidOperationException($"Onnx.Export: input {index} is a float tensor; read it with Float({index}).");

    /// <summary>The shape of input <paramref name="index"/>.</summary>
    /// <param name="index">Its position in the inputs.</param>
    public int[] Shape(int index) => [.. _shapes[index]];
}
