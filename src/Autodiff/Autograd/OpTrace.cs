using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff;

/// <summary>
/// The tensor operations run on this thread while the trace was open, in order, each with its inputs, its result and
/// the arguments that are not tensors (axes, strides, constants): the forward graph of a function, for exporters
/// (<c>Autodiff.NN.Onnx</c>) and for reading. Open one with <see cref="Autograd.Trace"/>.
/// </summary>
/// <remarks>
/// <para>
/// A trace sees every public tensor op whether or not a tape is recording and whether or not an input requires
/// grad, so a function can be traced in <see cref="Autograd.NoGrad"/> and on plain tensors. Ops that a backward sweep
/// runs are not traced. An op built from other ops is traced as the ops it is built from, except for a few that are
/// traced as one entry because their parts have no meaning of their own (the evaluation form of
/// <see cref="Tensor.BatchNorm{T}"/>, <see cref="Tensor.AvgPool2d{T}"/>, <see cref="Tensor{T}.LogSumExp"/>).
/// </para>
/// <para>
/// A tensor that is an input of an entry but the result of none came from outside the traced ops: a parameter, a
/// constant, or the function's input. Control flow is frozen: a trace records the ops one run took, as JAX's
/// tracing and <c>torch.jit.trace</c> do.
/// </para>
/// </remarks>
public sealed class OpTrace : IDisposable
{
    [ThreadStatic]
    private static OpTrace? s_current;

    private readonly List<TracedOp> _ops = [];
    private readonly OpTrace? _outer;
    private bool _disposed;

    internal OpTrace()
    {
        _outer = s_current;
        s_current = this;
    }

    /// <summary>The traced ops, in the order they ran.</summary>
    public IReadOnlyList<TracedOp> Ops => _ops;

    /// <summary>The innermost open trace of this thread, or null (null too while a sweep runs its rules).</summary>
    internal static OpTrace? Current => s_current;

    /// <summary>Stops tracing; the entries stay readable. An outer trace, if any, is current again.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (ReferenceEquals(s_current, this))
            {
                s_current = _outer;
            }
        }
    }

    /// <summary>One entry per line: index, op, input and output shapes, non-tensor arguments.</summary>
    public override string ToString()
    {
        var lines = new List<string> { string.Create(CultureInfo.InvariantCulture, $"OpTrace: {_ops.Count} ops") };
        for (int i = 0; i < _ops.Count; i++)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{"#" + i,6}  {_ops[i]}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    internal void Add(TracedOp op) => _ops.Add(op);

    /// <summary>The last entry when its result is <paramref name="output"/> (the op that just ran), else null.</summary>
    internal TracedOp<T>? Last<T>(Tensor<T> output)
        where T : unmanaged, IFloatingPointIeee754<T>
        => _ops.Count > 0 && _ops[^1] is TracedOp<T> last && ReferenceEquals(last.Output, output) ? last : null;

    /// <summary>
    /// Hides the ops run until the scope ends from the trace, for an op built from others that is traced as one
    /// entry: the op calls <see cref="Composite.Done{T}"/> with its result.
    /// </summary>
    internal static Composite BeginComposite()
    {
        OpTrace? current = s_current;
        s_current = null;
        return new Composite(current);
    }

    /// <summary>Restores the trace that <see cref="BeginComposite"/> hid; <see cref="Done{T}"/> also adds the op's entry.</summary>
    internal readonly struct Composite(OpTrace? trace) : IDisposable
    {
        public Tensor<T> Done<T>(string op, Tensor<T> output, string? file, int line, params ReadOnlySpan<Tensor<T>> inputs)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            Dispose();
            trace?.Add(new TracedOp<T>(op, inputs.ToArray(), output, file, line));
            return output;
        }

        public void Dispose()
        {
            if (trace is not null)
            {
                s_current = trace;
            }
        }
    }
}

/// <summary>One entry of an <see cref="OpTrace"/>: the op's public name, its non-tensor arguments and its call site.</summary>
public abstract class TracedOp
{
    private readonly Dictionary<string, object> _attributes = [];

    private protected TracedOp(string op, string? file, int line)
    {
        Op = op;
        File = file;
        Line = line;
    }

    /// <summary>The op's name as the engine's API spells it: "MatMul", "Conv2d", "Softmax", …</summary>
    public string Op { get; }

    /// <summary>
    /// The arguments that are not among the tensor inputs, by parameter name (e.g. "axis", "stride", "c" for a
    /// constant operand, "mask" for a tensor that is not differentiated); values are int, double, bool, int[] or a
    /// tensor of the op's element type.
    /// </summary>
    public IReadOnlyDictionary<string, object> Attributes => _attributes;

    /// <summary>The element type of the op's tensors.</summary>
    public abstract Type ElementType { get; }

    /// <summary>The source file of the call, when the compiler supplied it (operators have none).</summary>
    public string? File { get; }

    /// <summary>The source line of the call, or 0.</summary>
    public int Line { get; }

    internal void Set(string name, object value) => _attributes[name] = value;

    private protected string AttributeText()
        => _attributes.Count == 0 ? "" : " {" + string.Join(", ", _attributes.Select(a => $"{a.Key}: {Format(a.Value)}")) + "}";

    private static string Format(object value) => value switch
    {
        int[] xs => "[" + string.Join(", ", xs) + "]",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>A traced op on tensors of <typeparamref name="T"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class TracedOp<T> : TracedOp
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal TracedOp(string op, Tensor<T>[] inputs, Tensor<T> output, string? file, int line)
        : base(op, file, line)
    {
        Inputs = inputs;
        Output = output;
    }

    /// <summary>The tensor inputs, in the op's parameter order (optional ones that were not given are left out).</summary>
    public IReadOnlyList<Tensor<T>> Inputs { get; }

    /// <summary>The result.</summary>
    public Tensor<T> Output { get; }

    /// <inheritdoc/>
    public override Type ElementType => typeof(T);

    /// <inheritdoc/>
    public override string ToString()
        => $"{Op,-14} ({string.Join(", ", Inputs.Select(x => Shapes.Format(x.Shape)))}) -> {Shapes.Format(Output.Shape)} {Tensor<T>.DType}{AttributeText()}{Shapes.Where(File, Line)}";
}

public static partial class Autograd
{
    /// <summary>
    /// Opens a trace of the tensor ops this thread runs until it is disposed:
    /// <c>using (OpTrace trace = Autograd.Trace()) { y = model.Forward(x); }</c>, then read <c>trace.Ops</c>.
    /// </summary>
    public static OpTrace Trace() => new();

    /// <summary>Adds an entry for an op to the open trace, if any (called by <see cref="Record{T}"/> and by ops that record no node).</summary>
    internal static void TraceOp<T>(string op, Tensor<T> output, string? file, int line, ReadOnlySpan<Tensor<T>> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (OpTrace.Current is { } trace && !s_paused)
        {
            trace.Add(new TracedOp<T>(op, inputs.ToArray(), output, file, line));
        }
    }
}

/// <summary>Attaches an op's non-tensor arguments to its trace entry; without an open trace each call is one null check.</summary>
internal static class TraceAttributes
{
    /// <remarks>A null value (an optional argument not given) adds nothing.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor<T> Traced<T, TValue>(this Tensor<T> output, string name, TValue? value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (OpTrace.Current is { } trace && value is not null)
        {
            trace.Last(output)?.Set(name, value);
        }

        return output;
    }

    /// <summary>Adds the entry of an op that records no node (comparisons, Sign, Detach) to the open trace.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor<T> TracedAs<T>(this Tensor<T> output, string op, string? file, int line, params ReadOnlySpan<Tensor<T>> inputs)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (OpTrace.Current is not null)
        {
            Autograd.TraceOp(op, output, file, line, inputs);
        }

        return output;
    }

    /// <summary>As above, for an argument given as a span (copied into an array).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor<T> Traced<T>(this Tensor<T> output, string name, ReadOnlySpan<int> value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (OpTrace.Current is { } trace)
        {
            trace.Last(output)?.Set(name, value.ToArray());
        }

        return output;
    }
}
