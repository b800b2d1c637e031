using System.Globalization;
using System.Reflection;

namespace Autodiff.NN;

// From two traces of the same forward pass (the sample batch, and a batch one row larger) to an ONNX graph: every
// tensor of the first trace gets a name — an op's result, a graph input, a parameter or buffer under its state-dict
// name, or a constant — and its twin in the second trace tells which of its extents follow the batch. The op table
// that turns each traced op into ONNX nodes is in OnnxExporter.Ops.cs.
internal sealed partial class OnnxExporter
{
    private readonly Dictionary<Tensor<float>, Tensor<float>> _twin = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor<float>, string> _names = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor<float>, string> _parameters = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor<float>, TracedOp<float>> _producer = new(ReferenceEqualityComparer.Instance);
    private readonly GraphProto _graph = new("autodiff");
    private readonly HashSet<string> _used = [];
    private readonly Run _first;
    private readonly Run _second;
    private readonly IReadOnlyList<OnnxInput> _inputs;
    private int _counter;

    private OnnxExporter(Module module, IReadOnlyList<OnnxInput> inputs, Run first, Run second)
    {
        _inputs = inputs;
        _first = first;
        _second = second;
        foreach ((string name, Tensor<float> p) in module.NamedParameters().Concat(module.NamedBuffers()))
        {
            _parameters.TryAdd(p, name);
        }
    }

    /// <summary>One traced run: its ops, its outputs and the argument values it was given.</summary>
    private sealed record Run(IReadOnlyList<TracedOp> Ops, IReadOnlyList<Tensor<float>> Outputs, object[] Values, int[][] Shapes);

    public static byte[] Export(Module module, Func<OnnxArguments, IReadOnlyList<Tensor<float>>> forward, IReadOnlyList<OnnxInput> inputs, IReadOnlyList<string>? outputNames, int opset)
    {
        bool training = module.IsTraining;
        module.Eval();
        try
        {
            Run first = Trace(forward, inputs, grown: false);
            Run second = Trace(forward, inputs, grown: true);
            var exporter = new OnnxExporter(module, inputs, first, second);
            exporter.Pair();
            exporter.Build(outputNames);
            string version = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
            return new ModelProto(exporter._graph, opset, version).Encode();
        }
        finally
        {
            module.Train(training);
        }
    }

    private static Run Trace(Func<OnnxArguments, IReadOnlyList<Tensor<float>>> forward, IReadOnlyList<OnnxInput> inputs, bool grown)
    {
        var values = new object[inputs.Count];
        var shapes = new int[inputs.Count][];
        for (int i = 0; i < inputs.Count; i++)
        {
            OnnxInput input = inputs[i];
            shapes[i] = [.. input.Shape];
            if (grown && input.BatchAxis is int axis)
            {
                shapes[i][axis]++;
            }

            values[i] = input.Sample is { } sample
                ? Tensor.FromArray<float>(grown ? Grow(sample.ToArray(), input.Shape, input.BatchAxis) : sample.ToArray(), shapes[i])
                : grown ? Grow(input.SampleTokens!, input.Shape, input.BatchAxis) : input.SampleTokens!.ToArray();
        }

        using (Autograd.NoGrad())
        using (OpTrace trace = Autograd.Trace())
        {
            IReadOnlyList<Tensor<float>> outputs = forward(new OnnxArguments(values, shapes));
            if (outputs is null || outputs.Count == 0)
            {
                throw new InvalidOperationException("Onnx.Export: the forward function returned no outputs.");
            }

            return new Run(trace.Ops, [.. outputs], values, shapes);
        }
    }

    /// <summary>The sample with its batch rows reversed and its first row appended: other values, one more row.</summary>
    private static TValue[] Grow<TValue>(TValue[] data, IReadOnlyList<int> shape, int? batchAxis)
    {
        if (batchAxis is not int axis)
        {
            return data;
        }

        int outer = 1, inner = 1, rows = shape[axis];
        for (int d = 0; d < axis; d++)
        {
            outer *= shape[d];
        }

        for (int d = axis + 1; d < shape.Count; d++)
        {
            inner *= shape[d];
        }

        var grown = new TValue[outer * (rows + 1) * inner];
        for (int o = 0; o < outer; o++)
        {
            for (int r = 0; r <= rows; r++)
            {
                int from = r < rows ? rows - 1 - r : 0;
                Array.Copy(data, ((o * rows) + from) * inner, grown, ((o * (rows + 1)) + r) * inner, inner);
            }
        }

        return grown;
    }

    /// <summary>Matches each tensor of the first trace with its twin in the second.</summary>
    private void Pair()
    {
        if (_first.Ops.Count != _second.Ops.Count || _first.Outputs.Count != _second.Outputs.Count
            || !_first.Ops.Select(o => o.Op).SequenceEqual(_second.Ops.Select(o => o.Op)))
        {
            throw new NotSupportedException("Onnx.Export: the forward pass ran different ops for a batch one row larger; its control flow depends on the batch size, which a traced graph cannot express.");
        }

        for (int i = 0; i < _first.Ops.Count; i++)
        {
            if (_first.Ops[i] is not TracedOp<float> a || _second.Ops[i] is not TracedOp<float> b)
            {
                TracedOp op = _first.Ops[i];
                throw new NotSupportedException($"Onnx.Export: {op.Op}{Where(op)} works on Tensor<{op.ElementType.Name}>; the exporter writes float32 graphs (use ToFloat() before it).");
            }

            for (int j = 0; j < a.Inputs.Count; j++)
            {
                _twin.TryAdd(a.Inputs[j], b.Inputs[j]);
            }

            foreach ((string key, object value) in a.Attributes)
            {
                if (value is Tensor<float> t && b.Attributes[key] is Tensor<float> u)
                {
                    _twin.TryAdd(t, u);
                }
            }

            _twin.TryAdd(a.Output, b.Output);
            _producer.TryAdd(a.Output, a);
        }

        for (int i = 0; i < _first.Outputs.Count; i++)
        {
            _twin.TryAdd(_first.Outputs[i], _second.Outputs[i]);
        }
    }

    private void Build(IReadOnlyList<string>? outputNames)
    {
        for (int i = 0; i < _inputs.Count; i++)
        {
            OnnxInput input = _inputs[i];
            var dims = input.Shape.Select((d, axis) => axis == input.BatchAxis ? (object?)"batch" : d).ToList();
            _graph.Inputs.Add(new ValueInfoProto(input.Name, input.Sample is null ? TensorProto.Int64 : TensorProto.Float, dims));
            Reserve(input.Name);
            if (_first.Values[i] is Tensor<float> x)
            {
                _names[x] = input.Name;
            }
        }

        string[] names = new string[_first.Outputs.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = outputNames is not null && i < outputNames.Count ? outputNames[i] : i == 0 ? "output" : $"output{i}";
            Reserve(names[i]);
        }

        // The ops that the outputs depend on, in trace order (the rest — work inside other ops, unused branches — is dropped).
        var needed = new HashSet<TracedOp<float>>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<Tensor<float>>(_first.Outputs);
        while (pending.Count > 0)
        {
            if (_producer.TryGetValue(pending.Pop(), out TracedOp<float>? op) && needed.Add(op))
            {
                foreach (Tensor<float> t in op.Inputs.Concat(op.Attributes.Values.OfType<Tensor<float>>()))
                {
                    pending.Push(t);
                }
            }
        }

        var outputOf = new Dictionary<Tensor<float>, string>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < names.Length; i++)
        {
            outputOf.TryAdd(_first.Outputs[i], names[i]);
        }

        foreach (TracedOp op in _first.Ops)
        {
            var traced = (TracedOp<float>)op;
            if (needed.Contains(traced))
            {
                string result = outputOf.TryGetValue(traced.Output, out string? given) ? given : Fresh(traced.Op);
                Emit(traced, result);
                _names[traced.Output] = result;
            }
        }

        for (int i = 0; i < names.Length; i++)
        {
            Tensor<float> y = _first.Outputs[i];
            string name = Name(y, "the output");
            if (name != names[i])
            {
                Node("Identity", [name], names[i]);
            }

            bool[] dynamic = Dynamic(y);
            _graph.Outputs.Add(new ValueInfoProto(names[i], TensorProto.Float, [.. y.Shape.ToArray().Select((d, axis) => dynamic[axis] ? null : (object?)d)]));
        }
    }

    /// <summary>The graph name of a tensor: an op's result, an input, a parameter, or a constant made an initializer.</summary>
    private string Name(Tensor<float> t, string use)
    {
        if (_names.TryGetValue(t, out string? name))
        {
            return name;
        }

        if (_parameters.TryGetValue(t, out string? parameter))
        {
            _graph.Initializers.Add(TensorProto.FromFloats(parameter, t.Shape, t.Span));
            Reserve(parameter);
            return _names[t] = parameter;
        }

        // A constant: the same in both traces, or — when its extents follow the batch — one value everywhere, which
        // is then written with extent 1 on those axes and broadcast by the op that reads it.
        Tensor<float> twin = _twin.GetValueOrDefault(t) ?? t;
        int[] shape = t.ShapeArray();
        float[] values = t.ToArray();
        if (!t.Shape.SequenceEqual(twin.Shape))
        {
            bool uniform = values.Length > 0 && values.All(v => v.Equals(values[0])) && twin.Span.ToArray().All(v => v.Equals(values[0]));
            if (!uniform || t.Rank != twin.Rank)
            {
                throw new NotSupportedException($"Onnx.Export: {use} reads a tensor of shape {Functional.Format(t.Shape)} that follows the batch size but was not computed by a traced op from the inputs; compute it from the input with tensor ops.");
            }

            bool[] dynamic = Dynamic(t);
            shape = [.. shape.Select((d, axis) => dynamic[axis] ? 1 : d)];
            values = Enumerable.Repeat(values[0], shape.Aggregate(1, (p, d) => p * d)).ToArray();
        }
        else if (!t.Span.SequenceEqual(twin.Span))
        {
            throw new NotSupportedException($"Onnx.Export: {use} reads a tensor of shape {Functional.Format(t.Shape)} whose values depend on the input through a computation the trace does not see (not an engine tensor op); compute it with tensor ops.");
        }

        string constant = Fresh("const");
        _graph.Initializers.Add(TensorProto.FromFloats(constant, shape, values));
        return _names[t] = constant;
    }

    /// <summary>Which extents of a tensor differ between the two traces: the axes that follow the batch.</summary>
    private bool[] Dynamic(Tensor<float> t)
    {
        Tensor<float> twin = _twin.GetValueOrDefault(t) ?? t;
        var dynamic = new bool[t.Rank];
        for (int d = 0; d < t.Rank; d++)
        {
            dynamic[d] = twin.Rank != t.Rank || twin.Shape[d] != t.Shape[d];
        }

        return dynamic;
    }

    private Tensor<float> Twin(Tensor<float> t) => _twin.GetValueOrDefault(t) ?? t;

    /// <summary>Adds a node; returns its (single) output.</summary>
    private string Node(string opType, IReadOnlyList<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        output ??= Fresh(opType);
        _graph.Nodes.Add(new NodeProto(opType, Fresh("n_" + opType), inputs, [output], attributes));
        return output;
    }

    /// <summary>Adds a node with several outputs.</summary>
    private string[] Node(string opType, IReadOnlyList<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        string[] names = [.. Enumerable.Range(0, outputs).Select(_ => Fresh(opType))];
        _graph.Nodes.Add(new NodeProto(opType, Fresh("n_" + opType), inputs, names, attributes));
        return names;
    }

    /// <summary>An int64 constant (a shape, axes, indices).</summary>
    private string Int64s(long[] values, long[]? shape = null)
    {
        string name = Fresh("i64");
        _graph.Initializers.Add(TensorProto.FromInt64s(name, shape ?? [values.Length], values));
        return name;
    }

    /// <summary>A float scalar constant.</summary>
    private string Scalar(double value)
    {
        string name = Fresh("f32");
        _graph.Initializers.Add(TensorProto.FromFloats(name, [], [(float)value]));
        return name;
    }

    private string Fresh(string stem)
    {
        string name;
        do
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{stem}_{_counter++}");
        }
        while (!_used.Add(name));
        return name;
    }

    private void Reserve(string name)
    {
        if (!_used.Add(name))
        {
            throw new ArgumentException($"Onnx.Export: the name '{name}' is used twice (an input, output or parameter name).");
        }
    }

    private static string Where(TracedOp op) => op.File is null ? "" : $" (called at {Path.GetFileName(op.File)}:{op.Line})";
}
