namespace Autodiff.NN;

// The op table: each traced engine op as ONNX opset-17 nodes. An op's attributes are those the engine attached to
// its trace entry (see OpTrace); names and semantics of the ONNX side are those of the ONNX operator specification.
internal sealed partial class OnnxExporter
{
    private void Emit(TracedOp<float> op, string y)
    {
        RefuseIndicesThatFollowTheBatch(op);
        string X(int i) => Name(op.Inputs[i], $"{op.Op}{Where(op)}");
        int Int(string key) => (int)op.Attributes[key];
        double Real(string key) => (double)op.Attributes[key];
        bool Flag(string key) => op.Attributes.TryGetValue(key, out object? v) && (bool)v;
        long[] Axes(string key) => [.. ((int[])op.Attributes[key]).Select(a => (long)a)];
        bool constantOperand = op.Attributes.ContainsKey("c");

        switch (op.Op)
        {
            case "Add" when constantOperand:
                Node("Add", [X(0), Scalar(Real("c"))], y);
                break;
            case "Mul" when constantOperand:
                Node("Mul", [X(0), Scalar(Real("c"))], y);
                break;
            case "Add" or "Sub" or "Mul" or "Div" or "MatMul":
                Node(op.Op, [X(0), X(1)], y);
                break;
            case "RSub":
                Node("Sub", [Scalar(Real("c")), X(0)], y);
                break;
            case "RDiv":
                Node("Div", [Scalar(Real("c")), X(0)], y);
                break;
            case "Pow" when op.Attributes.ContainsKey("p"):
                Node("Pow", [X(0), Scalar(Real("p"))], y);
                break;
            case "Pow":
                Node("Pow", [X(0), X(1)], y);
                break;
            case "Maximum":
                Node("Max", [X(0), X(1)], y);
                break;
            case "Minimum":
                Node("Min", [X(0), X(1)], y);
                break;
            case "Neg" or "Exp" or "Log" or "Sqrt" or "Sin" or "Cos" or "Tan" or "Abs" or "Tanh" or "Sigmoid" or "Relu" or "Softplus" or "Sign":
                Node(op.Op, [X(0)], y);
                break;
            case "Detach":
                Node("Identity", [X(0)], y);
                break;
            case "LeakyRelu":
                Node("LeakyRelu", [X(0)], y, AttributeProto.Float("alpha", Real("slope")));
                break;
            case "Gelu":
                // The exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2 (ONNX's Gelu op arrives only in opset 20).
                string erf = Node("Erf", [Node("Div", [X(0), Scalar(Math.Sqrt(2))])]);
                Node("Mul", [Node("Mul", [X(0), Node("Add", [erf, Scalar(1)])]), Scalar(0.5)], y);
                break;
            case "Clamp":
                Node("Clip", [X(0), Scalar(Real("min")), Scalar(Real("max"))], y);
                break;
            case "Eq" or "Gt" or "Lt":
                string compared = Node(op.Op switch { "Eq" => "Equal", "Gt" => "Greater", _ => "Less" }, [X(0), X(1)]);
                Node("Cast", [compared], y, AttributeProto.Int("to", TensorProto.Float));
                break;
            case "Where":
                string condition = Node("Not", [Node("Equal", [X(0), Scalar(0)])]);
                Node("Where", [condition, X(1), X(2)], y);
                break;
            case "Softmax" or "LogSoftmax":
                Node(op.Op, [X(0)], y, AttributeProto.Int("axis", Int("axis")));
                break;
            case "Sum":
                Node("ReduceSum", [X(0), Int64s(Axes("axes"))], y, AttributeProto.Int("keepdims", Flag("keepDim") ? 1 : 0));
                break;
            case "Max" or "Min" or "LogSumExp":
                Node(op.Op switch { "Max" => "ReduceMax", "Min" => "ReduceMin", _ => "ReduceLogSumExp" }, [X(0)], y,
                    AttributeProto.Ints("axes", Axes("axes")), AttributeProto.Int("keepdims", Flag("keepDim") ? 1 : 0));
                break;
            case "Linear":
                Node("Gemm", op.Inputs.Count == 3 ? [X(0), X(1), X(2)] : [X(0), X(1)], y, AttributeProto.Int("transB", 1));
                break;
            case "MatMulTransposed":
                Node("MatMul", [X(0), TransposeLastTwo(X(1), op.Inputs[1].Rank)], y);
                break;
            case "Reshape":
                Node("Reshape", [X(0), Int64s(ReshapeTarget(op.Inputs[0], op.Output, op))], y);
                break;
            case "BroadcastTo":
                Node("Expand", [X(0), Int64s(ExpandTarget(op.Inputs[0], op.Output, op))], y);
                break;
            case "Permute":
                Node("Transpose", [X(0)], y, AttributeProto.Ints("perm", Axes("order")));
                break;
            case "Narrow":
                long start = Int("start");
                Node("Slice", [X(0), Int64s([start]), Int64s([start + Int("length")]), Int64s([Int("axis")])], y);
                break;
            case "IndexSelect":
                Node("Gather", [X(0), Int64s(Axes("indices"))], y, AttributeProto.Int("axis", Int("axis")));
                break;
            case "Gather":
                Node("GatherElements", [X(0), Int64s(Axes("index"), [.. op.Output.Shape.ToArray().Select(d => (long)d)])], y, AttributeProto.Int("axis", Int("axis")));
                break;
            case "Concat":
                Node("Concat", [.. op.Inputs.Select((_, i) => X(i))], y, AttributeProto.Int("axis", Int("axis")));
                break;
            case "Tril" or "Triu":
                Node("Trilu", [X(0), Int64s([Int("diagonal")], [])], y, AttributeProto.Int("upper", op.Op == "Triu" ? 1 : 0));
                break;
            case "Conv2d":
                int[] kernel = [op.Inputs[1].Shape[2], op.Inputs[1].Shape[3]];
                long p = Int("padding"), s = Int("stride"), d = Int("dilation");
                Node("Conv", op.Inputs.Count == 3 ? [X(0), X(1), X(2)] : [X(0), X(1)], y,
                    AttributeProto.Ints("kernel_shape", kernel[0], kernel[1]), AttributeProto.Ints("strides", s, s),
                    AttributeProto.Ints("pads", p, p, p, p), AttributeProto.Ints("dilations", d, d));
                break;
            case "MaxPool2d":
                long k = Int("kernelSize"), ps = Int("padding"), ss = Int("stride"), ds = Int("dilation");
                Node("MaxPool", [X(0)], y, AttributeProto.Ints("kernel_shape", k, k), AttributeProto.Ints("strides", ss, ss),
                    AttributeProto.Ints("pads", ps, ps, ps, ps), AttributeProto.Ints("dilations", ds, ds));
                break;
            case "AvgPool2d":
                long ka = Int("kernelSize"), pa = Int("padding"), sa = Int("stride");
                Node("AveragePool", [X(0)], y, AttributeProto.Ints("kernel_shape", ka, ka), AttributeProto.Ints("strides", sa, sa),
                    AttributeProto.Ints("pads", pa, pa, pa, pa), AttributeProto.Int("count_include_pad", 1));
                break;
            case "BatchNorm" when Flag("training"):
                throw new NotSupportedException($"Onnx.Export: BatchNorm{Where(op)} ran in training mode; call Eval() on the layer (the exporter does so for the module it is given, not for layers outside it).");
            case "BatchNorm":
                EmitBatchNorm(op, y, X);
                break;
            case "LayerNorm":
                EmitLayerNorm(op, y, X);
                break;
            case "RmsNorm":
                long[] axes = Axes("axes");
                string meanSquare = Node("ReduceMean", [Node("Mul", [X(0), X(0)])], null, AttributeProto.Ints("axes", axes), AttributeProto.Int("keepdims", 1));
                string normalised = Node("Mul", [X(0), Node("Pow", [Node("Add", [meanSquare, Scalar(Real("eps"))]), Scalar(-0.5)])]);
                Node(Flag("weight") ? "Mul" : "Identity", Flag("weight") ? [normalised, X(1)] : [normalised], y);
                break;
            case "Embedding":
                Node("Gather", [X(0), Indices(op)], y, AttributeProto.Int("axis", 0));
                break;
            case "ScaledDotProductAttention":
                EmitAttention(op, y);
                break;
            case "LstmRecurrence":
                EmitLstm(op, y, X);
                break;
            case "GruRecurrence":
                EmitGru(op, y, X);
                break;
            case "Dropout":
                throw new NotSupportedException($"Onnx.Export: Dropout{Where(op)} ran in training mode; a Dropout outside the exported module must be given p = 0 or run in evaluation mode.");
            default:
                throw new NotSupportedException($"Onnx.Export: the op {op.Op}{Where(op)} has no ONNX equivalent in this exporter (supported: the layers of Autodiff.NN and the elementwise, reduction, shape and product ops of the engine).");
        }
    }

    /// <summary>Index arguments written as constants must be the same in both traces (Embedding's may be an input instead).</summary>
    private void RefuseIndicesThatFollowTheBatch(TracedOp<float> op)
    {
        if (op.Op == "Embedding")
        {
            return;
        }

        var twin = (TracedOp<float>)_second.Ops[IndexOf(_first.Ops, op)];
        foreach ((string key, object value) in op.Attributes)
        {
            if (value is int[] indices && key is "indices" or "index" && !indices.AsSpan().SequenceEqual((int[])twin.Attributes[key]))
            {
                throw new NotSupportedException($"Onnx.Export: {op.Op}{Where(op)} takes {key} that change with the batch size; a graph can hold them only as a constant.");
            }
        }
    }

    private string TransposeLastTwo(string x, int rank)
    {
        long[] perm = [.. Enumerable.Range(0, rank).Select(i => (long)i)];
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return Node("Transpose", [x], null, AttributeProto.Ints("perm", perm));
    }

    /// <summary>
    /// Reshape's target: fixed extents as they are; an extent that follows the batch is 0 (copy the input's) where the
    /// input has the same batch-following extent on that axis, else −1 (inferred) — at most one such axis.
    /// </summary>
    private long[] ReshapeTarget(Tensor<float> input, Tensor<float> output, TracedOp op)
    {
        bool[] dynamicIn = Dynamic(input), dynamicOut = Dynamic(output);
        Tensor<float> inTwin = Twin(input), outTwin = Twin(output);
        var target = new long[output.Rank];
        int inferred = 0;
        for (int d = 0; d < output.Rank; d++)
        {
            if (!dynamicOut[d])
            {
                target[d] = output.Shape[d];
            }
            else if (d < input.Rank && dynamicIn[d] && input.Shape[d] == output.Shape[d] && inTwin.Shape[d] == outTwin.Shape[d])
            {
                target[d] = 0;
            }
            else
            {
                target[d] = -1;
                inferred++;
            }
        }

        if (inferred > 1)
        {
            throw new NotSupportedException($"Onnx.Export: Reshape{Where(op)} from {Functional.Format(input.Shape)} to {Functional.Format(output.Shape)} moves the batch into more than one axis, which a reshape target cannot say.");
        }

        return target;
    }

    /// <summary>Expand's target: 1 (keep the input's extent) where input and output agree in both traces.</summary>
    private long[] ExpandTarget(Tensor<float> input, Tensor<float> output, TracedOp op)
    {
        Tensor<float> inTwin = Twin(input), outTwin = Twin(output);
        bool[] dynamicOut = Dynamic(output);
        var target = new long[output.Rank];
        int offset = output.Rank - input.Rank;
        for (int d = 0; d < output.Rank; d++)
        {
            int i = d - offset;
            bool same = i >= 0 && input.Shape[i] == output.Shape[d] && inTwin.Shape[i] == outTwin.Shape[d];
            if (!same && dynamicOut[d])
            {
                throw new NotSupportedException($"Onnx.Export: BroadcastTo{Where(op)} to {Functional.Format(output.Shape)} broadcasts along the batch axis; broadcast with an elementwise op instead.");
            }

            target[d] = same ? 1 : output.Shape[d];
        }

        return target;
    }

    private void EmitBatchNorm(TracedOp<float> op, string y, Func<int, string> x)
    {
        int c = op.Inputs[0].Shape[1], next = 3;
        bool hasWeight = (bool)op.Attributes["weight"], hasBias = (bool)op.Attributes["bias"];
        string scale = hasWeight ? x(next++) : Ones(c);
        string bias = hasBias ? x(next) : Zeros(c);
        Node("BatchNormalization", [x(0), scale, bias, x(1), x(2)], y, AttributeProto.Float("epsilon", (double)op.Attributes["eps"]));
    }

    private void EmitLayerNorm(TracedOp<float> op, string y, Func<int, string> x)
    {
        int[] axes = (int[])op.Attributes["axes"];
        int[] normalized = [.. axes.Select(a => op.Inputs[0].Shape[a])];
        bool hasWeight = (bool)op.Attributes["weight"], hasBias = (bool)op.Attributes["bias"];
        string scale = hasWeight ? x(1) : Ones(normalized);
        List<string> inputs = [x(0), scale];
        if (hasBias)
        {
            inputs.Add(x(hasWeight ? 2 : 1));
        }

        Node("LayerNormalization", inputs, y, AttributeProto.Int("axis", -axes.Length), AttributeProto.Float("epsilon", (double)op.Attributes["eps"]));
    }

    /// <summary>Indices of an Embedding: the token input they came from (in both traces), or a constant.</summary>
    private string Indices(TracedOp<float> op)
    {
        int[] first = (int[])op.Attributes["indices"], shape = (int[])op.Attributes["indexShape"];
        int traceIndex = IndexOf(_first.Ops, op);
        var twinOp = (TracedOp<float>)_second.Ops[traceIndex];
        int[] second = (int[])twinOp.Attributes["indices"], secondShape = (int[])twinOp.Attributes["indexShape"];
        for (int i = 0; i < _inputs.Count; i++)
        {
            if (_first.Values[i] is int[] tokens && tokens.AsSpan().SequenceEqual(first) && ((int[])_second.Values[i]).AsSpan().SequenceEqual(second))
            {
                if (shape.SequenceEqual(_first.Shapes[i]) && secondShape.SequenceEqual(_second.Shapes[i]))
                {
                    return _inputs[i].Name;
                }

                // The same ids in another shape (flattened, say): reshape the input, the batch axis inferred.
                long[] target = [.. shape.Select((d, axis) => secondShape[axis] != d ? -1L : d)];
                return Node("Reshape", [_inputs[i].Name, Int64s(target)]);
            }
        }

        if (!first.AsSpan().SequenceEqual(second))
        {
            throw new NotSupportedException($"Onnx.Export: Embedding{Where(op)} looks up indices that change with the input but are not one of the token inputs; pass them as an OnnxInput.Tokens input.");
        }

        return Int64s([.. first.Select(v => (long)v)], [.. shape.Select(d => (long)d)]);
    }

    private static int IndexOf(IReadOnlyList<TracedOp> ops, TracedOp op)
    {
        for (int i = 0; i < ops.Count; i++)
        {
            if (ReferenceEquals(ops[i], op))
            {
                return i;
            }
        }

        throw new InvalidOperationException("Onnx.Export: an op is missing from its own trace.");
    }

    /// <summary>softmax(q·kᵀ·scale + mask)·v from MatMul, Mul, Add and Softmax; the causal mask is a constant [Tq, Tk].</summary>
    private void EmitAttention(TracedOp<float> op, string y)
    {
        if ((double)op.Attributes["dropout"] > 0)
        {
            throw new NotSupportedException($"Onnx.Export: ScaledDotProductAttention{Where(op)} ran with dropout; export in evaluation mode or with dropout 0.");
        }

        string where = $"ScaledDotProductAttention{Where(op)}";
        Tensor<float> q = op.Inputs[0], k = op.Inputs[1];
        string scores = Node("Mul", [Node("MatMul", [Name(q, where), TransposeLastTwo(Name(k, where), k.Rank)]), Scalar((double)op.Attributes["scale"])]);
        if (op.Attributes.TryGetValue("mask", out object? mask))
        {
            scores = Node("Add", [scores, Name((Tensor<float>)mask, where)]);
        }

        if ((bool)op.Attributes["causal"])
        {
            int tq = q.Shape[^2], tk = k.Shape[^2];
            var causal = new float[tq * tk];
            for (int i = 0; i < tq; i++)
            {
                for (int j = i + 1; j < tk; j++)
                {
                    causal[(i * tk) + j] = float.NegativeInfinity;
                }
            }

            string constant = Fresh("causal_mask");
            _graph.Initializers.Add(TensorProto.FromFloats(constant, [tq, tk], causal));
            scores = Node("Add", [scores, constant]);
        }

        Node("MatMul", [Node("Softmax", [scores], null, AttributeProto.Int("axis", -1)), Name(op.Inputs[2], where)], y);
    }

    /// <summary>
    /// The fused LSTM recurrence unrolled over its T steps (Y [2, T, B, H]: every h, then every c), with PyTorch's gate
    /// order i, f, g, o kept: ONNX's own LSTM op orders the gates i, o, f, c and would need the weights reordered.
    /// </summary>
    private void EmitLstm(TracedOp<float> op, string y, Func<int, string> x)
    {
        int steps = op.Inputs[0].Shape[0], hidden = op.Inputs[3].Shape[1];
        string projected = x(0), h = x(1), c = x(2), weight = x(3);
        string split = Int64s([hidden, hidden, hidden, hidden]);
        var hs = new List<string>();
        var cs = new List<string>();
        for (int t = 0; t < steps; t++)
        {
            string step = Node("Gather", [projected, Int64s([t], [])], null, AttributeProto.Int("axis", 0));
            string a = Node("Add", [step, Node("Gemm", [h, weight], null, AttributeProto.Int("transB", 1))]);
            string[] gates = Node("Split", [a, split], 4, AttributeProto.Int("axis", 1));
            string i = Node("Sigmoid", [gates[0]]), f = Node("Sigmoid", [gates[1]]), g = Node("Tanh", [gates[2]]), o = Node("Sigmoid", [gates[3]]);
            c = Node("Add", [Node("Mul", [f, c]), Node("Mul", [i, g])]);
            h = Node("Mul", [o, Node("Tanh", [c])]);
            hs.Add(Node("Unsqueeze", [h, Int64s([0])]));
            cs.Add(Node("Unsqueeze", [c, Int64s([0])]));
        }

        string allH = Node("Unsqueeze", [Node("Concat", hs, null, AttributeProto.Int("axis", 0)), Int64s([0])]);
        string allC = Node("Unsqueeze", [Node("Concat", cs, null, AttributeProto.Int("axis", 0)), Int64s([0])]);
        Node("Concat", [allH, allC], y, AttributeProto.Int("axis", 0));
    }

    /// <summary>The fused GRU recurrence unrolled over its T steps (Y [T, B, H]), PyTorch's gate order r, z, n.</summary>
    private void EmitGru(TracedOp<float> op, string y, Func<int, string> x)
    {
        int steps = op.Inputs[0].Shape[0], hidden = op.Inputs[2].Shape[1];
        string projected = x(0), h = x(1), weight = x(2);
        List<string> gemm = op.Inputs.Count == 4 ? [h, weight, x(3)] : [h, weight];
        string split = Int64s([hidden, hidden, hidden]);
        var hs = new List<string>();
        for (int t = 0; t < steps; t++)
        {
            gemm[0] = h;
            string step = Node("Gather", [projected, Int64s([t], [])], null, AttributeProto.Int("axis", 0));
            string[] p = Node("Split", [step, split], 3, AttributeProto.Int("axis", 1));
            string[] hh = Node("Split", [Node("Gemm", [.. gemm], null, AttributeProto.Int("transB", 1)), split], 3, AttributeProto.Int("axis", 1));
            string r = Node("Sigmoid", [Node("Add", [p[0], hh[0]])]);
            string z = Node("Sigmoid", [Node("Add", [p[1], hh[1]])]);
            string n = Node("Tanh", [Node("Add", [p[2], Node("Mul", [r, hh[2]])])]);
            h = Node("Add", [n, Node("Mul", [z, Node("Sub", [h, n])])]);   // (1 − z)·n + z·h
            hs.Add(Node("Unsqueeze", [h, Int64s([0])]));
        }

        Node("Concat", hs, y, AttributeProto.Int("axis", 0));
    }

    private string Ones(params int[] shape) => Filled(shape, 1f);

    private string Zeros(params int[] shape) => Filled(shape, 0f);

    private string Filled(int[] shape, float value)
    {
        string name = Fresh("const");
        _graph.Initializers.Add(TensorProto.FromFloats(name, shape, Enumerable.Repeat(value, shape.Aggregate(1, (p, d) => p * d)).ToArray()));
        return name;
    }
}
