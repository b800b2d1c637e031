using Google.Protobuf;

namespace Autodiff.NN;

// The few ONNX messages an exporter writes, encoded with Google.Protobuf's CodedOutputStream. Written from the field
// numbers of the ONNX specification (onnx/onnx.proto, IR version 8); only the fields used here exist. A nested message
// is encoded on its own first and written as a length-delimited field, which is all protobuf asks of it.

/// <summary>A message that can encode itself.</summary>
internal abstract class ProtoMessage
{
    protected abstract void Write(CodedOutputStream output);

    public byte[] Encode()
    {
        using var memory = new MemoryStream();
        using (var output = new CodedOutputStream(memory, leaveOpen: true))
        {
            Write(output);
        }

        return memory.ToArray();
    }

    protected static void Field(CodedOutputStream output, int number, ProtoMessage message)
    {
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message.Encode()));
    }

    protected static void Field(CodedOutputStream output, int number, string value)
    {
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    protected static void Field(CodedOutputStream output, int number, long value)
    {
        output.WriteTag(number, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }

    protected static void Packed(CodedOutputStream output, int number, IReadOnlyList<long> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        int size = values.Sum(CodedOutputStream.ComputeInt64Size);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteLength(size);
        foreach (long v in values)
        {
            output.WriteInt64(v);
        }
    }
}

/// <summary>ModelProto: ir_version 1, producer_name 2, producer_version 3, graph 7, opset_import 8.</summary>
internal sealed class ModelProto(GraphProto graph, long opset, string producerVersion) : ProtoMessage
{
    /// <summary>IR version 8 is the one of opset 17 (ONNX 1.12).</summary>
    public const long IrVersion = 8;

    protected override void Write(CodedOutputStream output)
    {
        Field(output, 1, IrVersion);
        Field(output, 2, "Autodiff");
        Field(output, 3, producerVersion);
        Field(output, 7, graph);
        Field(output, 8, new OperatorSetId(opset));
    }

    /// <summary>OperatorSetIdProto: domain 1 (empty: the default ai.onnx), version 2.</summary>
    private sealed class OperatorSetId(long version) : ProtoMessage
    {
        protected override void Write(CodedOutputStream output) => Field(output, 2, version);
    }
}

/// <summary>GraphProto: node 1, name 2, initializer 5, input 11, output 12.</summary>
internal sealed class GraphProto(string name) : ProtoMessage
{
    public List<NodeProto> Nodes { get; } = [];

    public List<TensorProto> Initializers { get; } = [];

    public List<ValueInfoProto> Inputs { get; } = [];

    public List<ValueInfoProto> Outputs { get; } = [];

    protected override void Write(CodedOutputStream output)
    {
        foreach (NodeProto node in Nodes)
        {
            Field(output, 1, node);
        }

        Field(output, 2, name);
        foreach (TensorProto t in Initializers)
        {
            Field(output, 5, t);
        }

        foreach (ValueInfoProto v in Inputs)
        {
            Field(output, 11, v);
        }

        foreach (ValueInfoProto v in Outputs)
        {
            Field(output, 12, v);
        }
    }
}

/// <summary>NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.</summary>
internal sealed class NodeProto(string opType, string name, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyList<AttributeProto> attributes) : ProtoMessage
{
    public string OpType => opType;

    protected override void Write(CodedOutputStream output)
    {
        foreach (string x in inputs)
        {
            Field(output, 1, x);
        }

        foreach (string y in outputs)
        {
            Field(output, 2, y);
        }

        Field(output, 3, name);
        Field(output, 4, opType);
        foreach (AttributeProto a in attributes)
        {
            Field(output, 5, a);
        }
    }
}

/// <summary>AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7).</summary>
internal sealed class AttributeProto : ProtoMessage
{
    private readonly string _name;
    private readonly float? _float;
    private readonly long? _int;
    private readonly long[]? _ints;

    private AttributeProto(string name, float? f, long? i, long[]? ints)
    {
        _name = name;
        _float = f;
        _int = i;
        _ints = ints;
    }

    public static AttributeProto Float(string name, double value) => new(name, (float)value, null, null);

    public static AttributeProto Int(string name, long value) => new(name, null, value, null);

    public static AttributeProto Ints(string name, params long[] values) => new(name, null, null, values);

    protected override void Write(CodedOutputStream output)
    {
        Field(output, 1, _name);
        if (_float is float f)
        {
            output.WriteTag(2, WireFormat.WireType.Fixed32);
            output.WriteFloat(f);
            Field(output, 20, 1);
        }
        else if (_int is long i)
        {
            Field(output, 3, i);
            Field(output, 20, 2);
        }
        else
        {
            Packed(output, 8, _ints!);
            Field(output, 20, 7);
        }
    }
}

/// <summary>TensorProto: dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9 (little-endian).</summary>
internal sealed class TensorProto(string name, long[] dims, int dataType, byte[] raw) : ProtoMessage
{
    public const int Float = 1;
    public const int Int64 = 7;

    public string Name => name;

    public static TensorProto FromFloats(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(raw); // x64 and arm64 are little-endian, as ONNX's raw_data
        return new(name, [.. shape.ToArray().Select(d => (long)d)], Float, raw);
    }

    public static TensorProto FromInt64s(string name, ReadOnlySpan<long> shape, ReadOnlySpan<long> values)
    {
        var raw = new byte[values.Length * sizeof(long)];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(raw);
        return new(name, shape.ToArray(), Int64, raw);
    }

    protected override void Write(CodedOutputStream output)
    {
        Packed(output, 1, dims);
        Field(output, 2, dataType);
        Field(output, 8, name);
        output.WriteTag(9, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(raw));
    }
}

/// <summary>
/// ValueInfoProto (name 1, type 2) with its TypeProto (tensor_type 1: elem_type 1, shape 2) and TensorShapeProto
/// (dim 1: dim_value 1 or dim_param 2; a dimension with neither is unknown).
/// </summary>
internal sealed class ValueInfoProto(string name, int elementType, IReadOnlyList<object?> dims) : ProtoMessage
{
    protected override void Write(CodedOutputStream output)
    {
        Field(output, 1, name);
        Field(output, 2, new TypeMessage(elementType, dims));
    }

    private sealed class TypeMessage(int elementType, IReadOnlyList<object?> dims) : ProtoMessage
    {
        protected override void Write(CodedOutputStream output) => Field(output, 1, new TensorType(elementType, dims));
    }

    private sealed class TensorType(int elementType, IReadOnlyList<object?> dims) : ProtoMessage
    {
        protected override void Write(CodedOutputStream output)
        {
            Field(output, 1, elementType);
            Field(output, 2, new Shape(dims));
        }
    }

    private sealed class Shape(IReadOnlyList<object?> dims) : ProtoMessage
    {
        protected override void Write(CodedOutputStream output)
        {
            foreach (object? d in dims)
            {
                Field(output, 1, new Dimension(d));
            }
        }
    }

    private sealed class Dimension(object? value) : ProtoMessage
    {
        protected override void Write(CodedOutputStream output)
        {
            switch (value)
            {
                case int n:
                    Field(output, 1, n);
                    break;
                case string param:
                    Field(output, 2, param);
                    break;
            }
        }
    }
}
