using System.Globalization;
using System.Numerics;
using System.Text;

namespace Autodiff;

/// <summary>
/// A dense, row-major, contiguous n-dimensional array of <typeparamref name="T"/> (float for networks, double for
/// tight gradient checks) that can take part in reverse-mode differentiation.
/// </summary>
/// <remarks>
/// <para>
/// A leaf marked with <see cref="RequiresGrad"/> is tracked: while a <see cref="Tape"/> is current (and gradients
/// are not switched off with <see cref="Autograd.NoGrad"/>), every operation on tracked tensors appends a node
/// to the tape, and <see cref="Backward(bool)"/> sweeps it backwards, accumulating into each leaf's <see cref="Grad"/>.
/// </para>
/// <para>Every operation returns a new tensor; the data of a tensor is never changed by an operation.</para>
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
public sealed partial class Tensor<T> : IFormattable
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _shape;
    private bool _requiresGrad;
    private Tensor<T>? _grad;

    // ZeroGrad() only marks the gradient as zero: the next backward pass overwrites it instead of adding to it (one
    // pass over the memory instead of three), and reading Grad before that clears it.
    private bool _gradZeroPending;

    /// <summary>
    /// Throws unless T is float or double. A check in the constructors, not a static constructor: a type initialiser
    /// that throws leaves the type unusable for the rest of the process, and for float and double the JIT removes it.
    /// </summary>
    internal static void CheckElementType(string op)
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            ThrowUnsupported(op);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowUnsupported(string op)
        => throw new NotSupportedException($"{op}: Tensor<{typeof(T).Name}> is not supported; tensors hold float (float32) or double (float64).");

    private readonly T[] _data;

    // When _data was lent by a tape (see Tape.Buffers.cs): the tape and its recycle epoch at the time. The array
    // goes back to the tape on its next Reset, after which reading this tensor would see another step's numbers.
    private Tape? _lender;
    private readonly int _lentEpoch;

    internal Tensor(T[] data, int[] shape)
    {
        CheckElementType("Tensor");
        _data = data;
        _shape = shape;
        if (Tape.Lender is { } lender && lender.Buffers<T>().IsLent(data))
        {
            _lender = lender;
            _lentEpoch = lender.RecycleEpoch;
        }
    }

    /// <summary>A view of <paramref name="source"/>'s elements with another shape of the same size.</summary>
    internal Tensor(Tensor<T> source, int[] shape)
    {
        _data = source.Data;
        _shape = shape;
        _lender = source._lender;
        _lentEpoch = source._lentEpoch;
        _versionOwner = source._versionOwner ?? source; // a write through any view of the array counts for all
    }

    /// <summary>The elements in row-major order. Length = <see cref="Size"/>.</summary>
    /// <exception cref="InvalidOperationException">The tape that lent the elements has been reset since.</exception>
    internal T[] Data
    {
        get
        {
            if ((_lender is not null && _lender.RecycleEpoch != _lentEpoch) || (_versionOwner ?? this)._expiredBecause is not null)
            {
                ThrowRecycled();
            }

            return _data;
        }
    }

    // Set by the owner of a reused buffer (a DataLoader's batch) when it hands the buffer to the next user: reading this
    // tensor, or a view of it, then throws this message instead of showing the next batch's numbers.
    private string? _expiredBecause;

    /// <summary>
    /// Marks this tensor (and every view of it) unreadable from now on, because its owner reuses its elements; reading
    /// it then throws an <see cref="InvalidOperationException"/> with <paramref name="because"/>.
    /// </summary>
    internal void Expire(string because) => (_versionOwner ?? this)._expiredBecause = because;

    /// <summary>Whether the elements live in an array lent by a tape until its next reset.</summary>
    internal bool IsLent => _lender is not null;

    /// <summary>This tensor after <see cref="KeepLentArray"/>: for results of ops that are never recorded (comparisons, Sign).</summary>
    internal Tensor<T> Kept()
    {
        KeepLentArray();
        return this;
    }

    /// <summary>Keeps the elements for good: a result that was not recorded must not be recycled by the next reset.</summary>
    internal void KeepLentArray()
    {
        if (_lender is { } lender && lender.RecycleEpoch == _lentEpoch)
        {
            lender.Buffers<T>().Release(_data);
        }

        _lender = null;
    }

    /// <summary>The node of the operation that made this tensor, when it was recorded on a tape.</summary>
    internal TensorNode<T>? Node { get; set; }

    /// <summary>The tape that <see cref="Node"/> is on.</summary>
    internal Tape? NodeTape { get; set; }

    /// <summary>The tape generation at which <see cref="Node"/> was recorded, to catch use after a reset.</summary>
    internal int NodeGeneration { get; set; }

    /// <summary>The extent of each dimension. A scalar tensor has rank 0 and one element.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements.</summary>
    public int Size => _data.Length;

    /// <summary>The elements in row-major order, read-only.</summary>
    public ReadOnlySpan<T> Span => Data;

    /// <summary>
    /// The elements for writing in place — for optimisers, initialisers and loaders, like PyTorch's in-place
    /// updates under <c>no_grad</c>. Not recorded, but counted: each call bumps the tensor's version (shared with
    /// its views), and a backward sweep that reaches an op whose input or result has been handed out for writing
    /// since the op was recorded throws instead of differentiating with the new values. So update parameters
    /// between a backward pass and the next forward, as optimisers do.
    /// </summary>
    public Span<T> MutableSpan()
    {
        T[] data = Data;
        (_versionOwner ?? this)._version++;
        return data;
    }

    /// <summary>"float32" or "float64".</summary>
    public static string DType => typeof(T) == typeof(float) ? "float32" : "float64";

    /// <summary>
    /// Whether gradients are wanted for this tensor (PyTorch's <c>requires_grad</c>): set on leaves with
    /// <see cref="RequiresGrad(bool)"/>, true for results of recorded operations on tracked tensors.
    /// </summary>
    public bool GradRequired => _requiresGrad || Node is not null;

    /// <summary>Whether this tensor was made by the user rather than by a recorded operation.</summary>
    public bool IsLeaf => Node is null;

    /// <summary>The gradient accumulated by <see cref="Backward(bool)"/> on a leaf; null until the first backward pass.</summary>
    public Tensor<T>? Grad
    {
        get
        {
            if (_gradZeroPending)
            {
                Array.Clear(_grad!.Data);
                _gradZeroPending = false;
            }

            return _grad;
        }

        set
        {
            _grad = value;
            _gradZeroPending = false;
        }
    }

    /// <summary>
    /// The buffer a backward pass may write this leaf's gradient into directly, and whether it must overwrite it
    /// (after <see cref="ZeroGrad"/>) rather than add to it; null when there is no owned buffer of the right size.
    /// The caller must write it: the pending zero is considered done.
    /// </summary>
    internal T[]? TakeGradDestination(out bool overwrite)
    {
        overwrite = _gradZeroPending;
        if (_grad is null || _grad.IsLent || _grad.Size != Size)
        {
            return null;
        }

        _gradZeroPending = false;
        return _grad.Data;
    }

    /// <summary>Marks a leaf as wanting gradients (like PyTorch's <c>requires_grad_()</c>) and returns it.</summary>
    /// <param name="requiresGrad">Whether to track it.</param>
    public Tensor<T> RequiresGrad(bool requiresGrad = true)
    {
        if (!IsLeaf)
        {
            throw new InvalidOperationException("RequiresGrad: only leaves can be marked; this tensor is the result of a recorded operation (use Detach() first).");
        }

        _requiresGrad = requiresGrad;
        return this;
    }

    /// <summary>Sets <see cref="Grad"/> to zero, keeping its buffer (no allocation), as optimisers expect.</summary>
    public void ZeroGrad()
    {
        if (_grad is { IsLent: true })
        {
            Grad = null; // a gradient recorded with createGraph lives in a tape's memory: drop it, do not write into it
        }
        else if (_grad is not null)
        {
            _gradZeroPending = true;
        }
    }

    /// <summary>A tensor with the same data that is not tracked: gradients do not flow through it.</summary>
    /// <remarks>The data is shared, as in PyTorch; use <see cref="Clone"/> for a copy that outlives a <see cref="Tape.Reset"/>.</remarks>
    public Tensor<T> Detach() => new Tensor<T>(this, _shape).TracedAs(nameof(Detach), null, 0, this);

    /// <summary>A deep copy with its own data, untracked.</summary>
    public Tensor<T> Clone() => new((T[])Data.Clone(), _shape);

    private void ThrowRecycled() => throw new InvalidOperationException((_versionOwner ?? this)._expiredBecause ??
        $"This tensor (shape {Shapes.Format(_shape)}{(Node is null ? "" : $", made by '{Node.Name}'{Shapes.Where(Node.File, Node.Line)}")}) was computed while a tape was recording, and that tape has been reset since: " +
        "Reset() recycles the memory of everything computed on it for the next step. Read what you need before the reset " +
        "(Item(), ToArray(), or Clone() for a tensor that outlives it).");

    /// <summary>The elements as a new array, in row-major order.</summary>
    public T[] ToArray() => (T[])Data.Clone();

    /// <summary>The shape as a new array.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    /// <summary>The element at the given index (one index per dimension).</summary>
    /// <param name="index">The index, with as many entries as <see cref="Rank"/>.</param>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public T this[params ReadOnlySpan<int> index] => Data[Shapes.Offset(_shape, index)];

    /// <summary>The single element of a one-element tensor.</summary>
    public T Item()
    {
        if (Size != 1)
        {
            throw new InvalidOperationException($"Item: the tensor has shape {Shapes.Format(_shape)} ({Size} elements); only one-element tensors convert to a number.");
        }

        return Data[0];
    }

    /// <summary>Shape, dtype and values, abbreviated like PyTorch's printing for large tensors.</summary>
    public override string ToString() => ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Shape, dtype and values formatted with <paramref name="format"/>.</summary>
    /// <remarks>
    /// Without a format (as <c>Console.WriteLine(t)</c> and <c>$"{t}"</c> call it, passing the current culture) this
    /// is exactly <see cref="ToString()"/>: 6 significant digits, invariant culture, so that a tensor prints the same
    /// wherever it is printed and its ", " separators stay unambiguous. An explicit format uses the given culture.
    /// </remarks>
    /// <param name="format">A numeric format for the elements, e.g. "F3"; null or empty for the default.</param>
    /// <param name="formatProvider">The culture for an explicit format; invariant when null.</param>
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        if (string.IsNullOrEmpty(format))
        {
            (format, formatProvider) = ("G6", CultureInfo.InvariantCulture);
        }

        formatProvider ??= CultureInfo.InvariantCulture;
        var sb = new StringBuilder("tensor(");
        if (Rank == 0)
        {
            sb.Append(Data[0].ToString(format, formatProvider));
        }
        else
        {
            AppendBlock(sb, 0, 0, format, formatProvider);
        }

        sb.Append(CultureInfo.InvariantCulture, $", shape={Shapes.Format(_shape)}, dtype={DType}");
        if (GradRequired)
        {
            sb.Append(Node is null ? ", requires_grad=True" : $", grad_fn={Node.Name}");
        }

        return sb.Append(')').ToString();
    }

    private void AppendBlock(StringBuilder sb, int dim, int offset, string? format, IFormatProvider provider)
    {
        // Like PyTorch: beyond 1000 elements, show the first and last three entries of each dimension.
        const int Edge = 3;
        bool abbreviate = Size > 1000;
        int n = _shape[dim];
        int stride = Shapes.Stride(_shape, dim);
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (abbreviate && n > 2 * Edge && i == Edge)
            {
                sb.Append("..., ");
                i = n - Edge - 1;
                continue;
            }

            if (dim == Rank - 1)
            {
                sb.Append(Data[offset + i].ToString(format, provider));
            }
            else
            {
                AppendBlock(sb, dim + 1, offset + (i * stride), format, provider);
            }

            if (i < n - 1)
            {
                sb.Append(dim == Rank - 1 ? ", " : ",\n" + new string(' ', dim + 8));
            }
        }

        sb.Append(']');
    }
}
