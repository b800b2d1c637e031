using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autodiff;

/// <summary>
/// An ordered record of differentiable operations (a Wengert list). Operations append entries during the
/// forward pass; a gradient sweeps the entries once, last first, applying the chain rule entry by entry.
/// </summary>
/// <remarks>
/// <para>
/// Creating a tape makes it the <see cref="Current"/> tape of the calling async flow; disposing it restores the
/// tape that was current before, so tapes nest. <see cref="Reset"/> forgets every entry but keeps the storage,
/// so a training loop that reuses one tape reaches a steady state with no allocation per operation.
/// </para>
/// <para>
/// Scalar entries are stored as structure-of-arrays owned by the tape: the value, and for each of at most two
/// inputs its index and the local partial derivative ∂out/∂input. The backward sweep is then a tight loop:
/// <c>adj[a] += ∂out/∂a · adj[out]</c>. Slot 0 is a sink that absorbs the contributions of missing inputs, which
/// keeps the sweep free of branches on arity. What only printing needs (the value, the operation, the source
/// line) lives in other arrays, so that the sweep reads as few bytes as possible.
/// </para>
/// </remarks>
public sealed partial class Tape : IDisposable
{
    private const int Sink = 0;
    private const int DefaultCapacity = 256;

    // Set beside the operation in _ops when the entry was recorded with caller info: its _locations slot is valid.
    private const byte HasLocation = 0x80;

    // Set beside the operation in _ops when a constant came first (c − a, c / a, cᵇ): the recorded sweep of
    // RecordedGradient and a recorded function's replay must tell these from a − c, a / c and aᵖ, whose entries
    // otherwise look the same.
    private const byte ConstantFirst = 0x40;

    private static readonly AsyncLocal<Tape?> s_current = new();

    private readonly Tape? _outer;

    // The entries, one slot each, in four arrays of the same length (Push relies on it and skips their bounds checks).
    // Operations read their operands' values from the handles (Scalar.Data), so only the sweeps (_entries), a recorded
    // function's snapshot and printing read these arrays. An entry with one input keeps the op's constant, if it has
    // one (c of a + c, c / a, Max(a, c); p of aᵖ; the slope of a leaky ReLU), where its second partial would be: its
    // second input is the sink, which nobody reads, so the sweep may add anything there. Nothing else is stored for it.
    private Entry[] _entries;       // inputs and local partials (or the constant)
    private double[] _values;
    private byte[] _ops;            // the ScalarOp of each entry, | HasLocation, | ConstantFirst
    private Location[] _locations;  // written only for entries recorded with caller info (operators have none)

    // Push's one test: the capacity, or 0 while anomaly mode is on, so that both take the slow path with one compare.
    private int _limit;

    private double[] _adjoints;
    private int _count;
    private int _generation;
    private bool _disposed;
    private Dictionary<int, string>? _names;

    /// <summary>Creates an empty tape and makes it the current tape until it is disposed.</summary>
    /// <param name="capacity">Number of scalar entries to reserve room for; the tape grows as needed.</param>
    public Tape(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        capacity = Math.Max(capacity + 1, 2);
        _entries = new Entry[capacity];
        _values = new double[capacity];
        _ops = new byte[capacity];
        _locations = new Location[capacity];
        _limit = capacity;
        _adjoints = [];
        _count = 1; // slot 0 is the sink
        _outer = s_current.Value;
        s_current.Value = this;
    }

    /// <summary>The tape that operations of the current async flow record on, or <see langword="null"/> if there is none.</summary>
    public static Tape? Current => s_current.Value;

    /// <summary>Number of scalar entries recorded since the tape was created or last reset.</summary>
    public int Count => _count - 1;

    /// <summary>
    /// Forgets every entry while keeping the storage for reuse. Scalars recorded before the reset become invalid:
    /// using one afterwards throws <see cref="InvalidOperationException"/>. The memory of tensors computed while
    /// this tape was recording (and of the gradients of its sweeps) is recycled for the next step: reading such a
    /// tensor afterwards throws too, so read losses and metrics (or <c>Clone()</c> what must survive) first.
    /// </summary>
    public void Reset()
    {
        ThrowIfDisposed();
        using ClaimScope claim = Claim(nameof(Reset));
        _count = 1;
        _generation++;
        _names?.Clear();
        _tensorNodes.Clear();
        ClearMixed();
        RecycleBuffers();
    }

    /// <summary>Restores the tape that was current when this one was created. Scalars of this tape become invalid.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _generation++;
        _tensorNodes.Clear();
        ClearMixed();
        if (ReferenceEquals(s_current.Value, this))
        {
            s_current.Value = _outer;
        }
    }

    /// <summary>Records an independent variable: a leaf that gradients can be taken with respect to.</summary>
    /// <param name="value">The variable's value.</param>
    /// <param name="name">An optional name shown in <see cref="ToString"/> and <see cref="ToDot"/>.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Scalar Variable(double value, string? name = null, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        ThrowIfDisposed();
        Scalar x = Push(ScalarOp.Variable, value, Sink, 0, Sink, 0, file, line);
        if (name is not null)
        {
            (_names ??= [])[x.Index] = name;
        }

        return x;
    }

    /// <summary>Records a constant. It behaves like a variable whose gradient nobody asks for.</summary>
    /// <param name="value">The constant's value.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Scalar Constant(double value, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        ThrowIfDisposed();
        return Push(ScalarOp.Constant, value, Sink, 0, Sink, 0, file, line);
    }

    /// <summary>Records several variables at once, one per value.</summary>
    /// <param name="values">The variables' values.</param>
    /// <param name="names">
    /// Optional names shown in <see cref="ToString"/> and <see cref="ToDot"/>, one per value (a <see langword="null"/>
    /// element leaves that variable unnamed).
    /// </param>
    public Scalar[] Variables(ReadOnlySpan<double> values, string?[]? names = null)
    {
        if (names is not null && names.Length != values.Length)
        {
            throw new ArgumentException($"Variables: {names.Length} names for {values.Length} values; give one name per value.", nameof(names));
        }

        var result = new Scalar[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = Variable(values[i], names?[i], file: null, line: 0);
        }

        return result;
    }

    internal bool IsLive(Scalar x) => ReferenceEquals(x.Tape, this) && x.Generation == _generation && !_disposed;

    /// <summary>Appends one entry. <paramref name="a"/>/<paramref name="b"/> are input slots (the sink when absent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Scalar Push(ScalarOp op, double value, int a, double da, int b, double db, string? file, int line)
        => Push((byte)op, value, a, da, b, db, file, line);

    /// <summary>Appends an entry with one input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Scalar Push(ScalarOp op, double value, int a, double da, string? file, int line)
        => Push((byte)op, value, a, da, Sink, 0.0, file, line);

    /// <summary>
    /// Appends an entry with one input and a constant that replaying it or differentiating it again needs (c of a + c,
    /// the exponent of aᵖ, the base of cᵇ, …): kept in the entry's second partial, beside the sink.
    /// <paramref name="constantFirst"/> marks the forms whose constant is the left operand (c − a, c / a, cᵇ).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Scalar Push(ScalarOp op, double value, int a, double da, double constant, bool constantFirst, string? file, int line)
        => Push(constantFirst ? (byte)((byte)op | ConstantFirst) : (byte)op, value, a, da, Sink, constant, file, line);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Scalar Push(byte op, double value, int a, double da, int b, double db, string? file, int line)
    {
        int i = _count;
        if ((uint)i >= (uint)_limit)
        {
            // Not Grow() followed by the writes below: no vector register survives a call on x64 Unix, so every
            // double live across that call (value, da, db, the caller's values) would be kept on the stack, on
            // the fast path too; the chain benchmark's forward pass took 1.3× as long. A tail call leaves none live.
            // Anomaly mode sets the limit to 0, so that switched off it costs nothing beyond the capacity test.
            return PushSlow(op, value, a, da, b, db, file, line);
        }

        // i < _limit ≤ the length of all four arrays, which grow together: no bounds checks needed.
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), i) = new Entry(a, b, da, db);
        Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), i) = value;
        if (file is null)
        {
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_ops), i) = op;
        }
        else
        {
            // Callers pass file as a compile-time constant, so after inlining only one branch is left.
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_ops), i) = (byte)(op | HasLocation);
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_locations), i) = new Location(file, line);
        }

        _count = i + 1;
        return new Scalar(this, i, _generation, value);
    }

    /// <summary>Push when the arrays are full or anomaly mode is on: checks the value, grows, then appends.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private Scalar PushSlow(byte op, double value, int a, double da, int b, double db, string? file, int line)
    {
        if (_detectAnomalies && !double.IsFinite(value))
        {
            ThrowScalarForwardAnomaly((ScalarOp)(op & ~ConstantFirst), value, a, b, file, line);
        }

        int i = _count;
        if (i >= _entries.Length)
        {
            Grow(i + 1);
        }

        _entries[i] = new Entry(a, b, da, db);
        _values[i] = value;
        _ops[i] = file is null ? op : (byte)(op | HasLocation);
        if (file is not null)
        {
            _locations[i] = new Location(file, line);
        }

        _count = i + 1;
        return new Scalar(this, i, _generation, value);
    }

    /// <summary>Grows the four entry arrays (together: Push relies on their equal length) to hold at least <paramref name="needed"/> slots.</summary>
    private void Grow(int needed)
    {
        int capacity = Math.Max(needed, checked(_entries.Length * 2));
        Array.Resize(ref _entries, capacity);
        Array.Resize(ref _values, capacity);
        Array.Resize(ref _ops, capacity);
        Array.Resize(ref _locations, capacity);
        _limit = _detectAnomalies ? 0 : capacity;
    }

    /// <summary>The tape of a live scalar; throws a clear exception for a default, stale or disposed one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tape Of(Scalar x, string op)
    {
        Tape? tape = x.Tape;
        if (tape is null || x.Generation != tape._generation)
        {
            ThrowInvalid(x, op);
        }

        return tape;
    }

    /// <summary>Throws a clear exception unless <paramref name="x"/> is a live scalar of this tape.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Validate(Scalar x, string op)
    {
        if (!ReferenceEquals(x.Tape, this) || x.Generation != _generation)
        {
            ThrowInvalid(x, op);
        }
    }

    /// <summary>The tape two operands share; throws if they are on different tapes or stale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Tape Common(Scalar a, Scalar b, string op)
    {
        Tape? tape = a.Tape;
        if (tape is null || !ReferenceEquals(tape, b.Tape) || a.Generation != tape._generation || b.Generation != tape._generation)
        {
            ThrowMismatch(a, b, op);
        }

        return tape;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowMismatch(Scalar a, Scalar b, string op)
    {
        if (a.Tape is not null && b.Tape is not null && !ReferenceEquals(a.Tape, b.Tape))
        {
            throw new InvalidOperationException($"{op}: the operands are on different tapes; record every operand of one computation on the same tape.");
        }

        Tape? tape = a.Tape ?? b.Tape;
        if (tape is null)
        {
            throw new InvalidOperationException($"{op}: both operands are default(Scalar), which is on no tape; create scalars with Tape.Variable or Tape.Constant.");
        }

        ThrowInvalid(a.Tape is null || a.Generation != tape._generation ? a : b, op);
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowInvalid(Scalar x, string op)
    {
        if (x.Tape is null)
        {
            throw new InvalidOperationException($"{op}: the scalar is default(Scalar), which is on no tape; create scalars with Tape.Variable or Tape.Constant.");
        }

        if (x.Tape._disposed)
        {
            throw new ObjectDisposedException(nameof(Tape), $"{op}: the scalar #{x.Index} belongs to a tape that has been disposed; use scalars (and differentiate) inside their tape's using block.");
        }

        throw new InvalidOperationException($"{op}: the scalar #{x.Index} was recorded before the tape was reset (or belongs to another tape) and is no longer valid; " +
            "read its Value before Reset() if you need the number, and record the computation again on the reset tape.");
    }

    private void ThrowIfDisposed([CallerMemberName] string op = "")
    {
        if (_disposed)
        {
            ThrowDisposed(op);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposed(string op) => throw new ObjectDisposedException(nameof(Tape),
        $"{op}: the tape has been disposed, and with it everything recorded on it. Differentiate (Backward, Gradient) " +
        "inside the tape's using block, or create a new Tape for a new computation.");

    /// <summary>
    /// One recorded operation: its inputs (slots) and the local partial derivatives with respect to them. An entry with
    /// one input has the sink as <see cref="B"/> and its op's constant (if any) as <see cref="PartialB"/>.
    /// </summary>
    internal readonly record struct Entry(int A, int B, double PartialA, double PartialB);

    /// <summary>Where an entry was recorded; used only for printing the tape.</summary>
    private readonly record struct Location(string File, int Line);
}
