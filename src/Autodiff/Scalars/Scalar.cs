using System.Globalization;
using System.Runtime.CompilerServices;

namespace Autodiff;

/// <summary>
/// A double-precision value recorded on a <see cref="Tape"/>. A small handle (tape, slot, value): recording an
/// operation allocates nothing on the heap.
/// </summary>
/// <remarks>
/// Operators (<c>+ − · / −x</c>) cannot take caller-info parameters in C#, so their entries carry no source line;
/// the named forms (<see cref="Add(Scalar, Scalar, string?, int)"/>, …) and every function do.
/// Each operation's derivative rule sits right beside its forward computation.
/// </remarks>
public readonly partial struct Scalar : IEquatable<Scalar>
{
    // Every operation is [AggressiveInlining]. Inlined, its caller-info arguments are constants (Tape.Push keeps one
    // branch and stores the file name without a GC write barrier), and a chain of operations keeps its values in
    // registers. The handle carries its value (Data) for the same reason: reading it back from the tape put a store
    // and a load between every two operations of a chain (the chain benchmark's forward pass took 1.25× as long).
    internal Tape? Tape { get; }

    internal int Index { get; }

    internal int Generation { get; }

    /// <summary>The value as recorded, without validating the handle: read it after Tape.Of or Tape.Common.</summary>
    internal double Data { get; }

    internal Scalar(Tape tape, int index, int generation, double data)
    {
        Tape = tape;
        Index = index;
        Generation = generation;
        Data = data;
    }

    /// <summary>The value computed in the forward pass.</summary>
    public double Value
    {
        get
        {
            _ = Autodiff.Tape.Of(this, nameof(Value));
            return Data;
        }
    }

    /// <summary>The slot of this scalar on its tape, as shown by <see cref="Tape.ToString"/>.</summary>
    public int Id => Index;

    // ---- a + b ------------------------------------------------------------------------------------------

    /// <summary>a + b, recording the caller's source line.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Add(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Add));
        double y = ScalarRules.Add(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Add, y, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>a + c for a constant c, recording the caller's source line.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Add(Scalar a, double c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Add));
        double y = ScalarRules.Add(a.Data, c, out double da, out _);
        return tape.Push(ScalarOp.Add, y, a.Index, da, c, constantFirst: false, file, line);
    }

    /// <summary>a + b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Scalar operator +(Scalar a, Scalar b) => Add(a, b, null, 0);

    /// <summary>a + c.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    public static Scalar operator +(Scalar a, double c) => Add(a, c, null, 0);

    /// <summary>c + a.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">The scalar.</param>
    public static Scalar operator +(double c, Scalar a) => Add(a, c, null, 0);

    /// <summary>Recorded partials of a + b: the constants 1, 1.</summary>
    internal static void AddRecorded(in RecordedEntry e) => e.ConstantPartials();

    // ---- a − b ------------------------------------------------------------------------------------------

    /// <summary>a − b, recording the caller's source line.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Subtract(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Subtract));
        double y = ScalarRules.Subtract(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Subtract, y, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>a − c for a constant c, recording the caller's source line.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Subtract(Scalar a, double c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Subtract));
        double y = ScalarRules.Subtract(a.Data, c, out double da, out _);
        return tape.Push(ScalarOp.Subtract, y, a.Index, da, c, constantFirst: false, file, line);
    }

    /// <summary>c − a for a constant c, recording the caller's source line.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">The scalar.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Subtract(double c, Scalar a, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Subtract));
        double y = ScalarRules.Subtract(c, a.Data, out _, out double da);
        return tape.Push(ScalarOp.Subtract, y, a.Index, da, c, constantFirst: true, file, line);
    }

    /// <summary>a − b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Scalar operator -(Scalar a, Scalar b) => Subtract(a, b, null, 0);

    /// <summary>a − c.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    public static Scalar operator -(Scalar a, double c) => Subtract(a, c, null, 0);

    /// <summary>c − a.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">The scalar.</param>
    public static Scalar operator -(double c, Scalar a) => Subtract(c, a, null, 0);

    /// <summary>Recorded partials of a − b: the constants 1, −1.</summary>
    internal static void SubtractRecorded(in RecordedEntry e) => e.ConstantPartials();

    // ---- a · b ------------------------------------------------------------------------------------------

    /// <summary>a · b, recording the caller's source line.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Multiply(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Multiply));
        double y = ScalarRules.Multiply(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Multiply, y, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>a · c for a constant c, recording the caller's source line.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Multiply(Scalar a, double c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Multiply));
        double y = ScalarRules.Multiply(a.Data, c, out double da, out _);
        return tape.Push(ScalarOp.Multiply, y, a.Index, da, c, constantFirst: false, file, line);
    }

    /// <summary>a · b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    public static Scalar operator *(Scalar a, Scalar b) => Multiply(a, b, null, 0);

    /// <summary>a · c.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="c">The constant.</param>
    public static Scalar operator *(Scalar a, double c) => Multiply(a, c, null, 0);

    /// <summary>c · a.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">The scalar.</param>
    public static Scalar operator *(double c, Scalar a) => Multiply(a, c, null, 0);

    /// <summary>Recorded partials of a · b: ∂/∂a = b, ∂/∂b = a (a · c keeps its constant c).</summary>
    internal static void MultiplyRecorded(in RecordedEntry e)
    {
        if (!e.Binary)
        {
            e.ConstantPartials();
            return;
        }

        e.ToA(e.G * e.B);
        e.ToB(e.G * e.A);
    }

    // ---- a / b ------------------------------------------------------------------------------------------

    /// <summary>a / b, recording the caller's source line.</summary>
    /// <param name="a">The numerator.</param>
    /// <param name="b">The denominator.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Divide(Scalar a, Scalar b, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Common(a, b, nameof(Divide));
        double y = ScalarRules.Divide(a.Data, b.Data, out double da, out double db);
        return tape.Push(ScalarOp.Divide, y, a.Index, da, b.Index, db, file, line);
    }

    /// <summary>a / c for a constant c, recording the caller's source line.</summary>
    /// <param name="a">The numerator.</param>
    /// <param name="c">The constant denominator.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Divide(Scalar a, double c, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Divide));
        double y = ScalarRules.Divide(a.Data, c, out double da, out _);
        return tape.Push(ScalarOp.Divide, y, a.Index, da, c, constantFirst: false, file, line);
    }

    /// <summary>c / a for a constant c, recording the caller's source line.</summary>
    /// <param name="c">The constant numerator.</param>
    /// <param name="a">The denominator.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Divide(double c, Scalar a, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Divide));
        double y = ScalarRules.Divide(c, a.Data, out _, out double da);
        return tape.Push(ScalarOp.Divide, y, a.Index, da, c, constantFirst: true, file, line);
    }

    /// <summary>a / b.</summary>
    /// <param name="a">The numerator.</param>
    /// <param name="b">The denominator.</param>
    public static Scalar operator /(Scalar a, Scalar b) => Divide(a, b, null, 0);

    /// <summary>a / c.</summary>
    /// <param name="a">The numerator.</param>
    /// <param name="c">The constant denominator.</param>
    public static Scalar operator /(Scalar a, double c) => Divide(a, c, null, 0);

    /// <summary>c / a.</summary>
    /// <param name="c">The constant numerator.</param>
    /// <param name="a">The denominator.</param>
    public static Scalar operator /(double c, Scalar a) => Divide(c, a, null, 0);

    /// <summary>Recorded partials of a / b: ∂/∂a = 1/b, ∂/∂b = −y/b; of c / a: −y/a; a / c keeps its constant 1/c.</summary>
    internal static void DivideRecorded(in RecordedEntry e)
    {
        if (e.Binary)
        {
            e.ToA(e.G / e.B);
            e.ToB(-(e.G * e.Y) / e.B);
        }
        else if (e.ConstantFirst)
        {
            e.ToA(-(e.G * e.Y) / e.A);
        }
        else
        {
            e.ConstantPartials();
        }
    }

    // ---- −a ---------------------------------------------------------------------------------------------

    /// <summary>−a, recording the caller's source line.</summary>
    /// <param name="a">The scalar.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Negate(Scalar a, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        Tape tape = Autodiff.Tape.Of(a, nameof(Negate));
        double y = ScalarRules.Negate(a.Data, out double da);
        return tape.Push(ScalarOp.Negate, y, a.Index, da, file, line);
    }

    /// <summary>−a.</summary>
    /// <param name="a">The scalar.</param>
    public static Scalar operator -(Scalar a) => Negate(a, null, 0);

    /// <summary>+a (no entry is recorded).</summary>
    /// <param name="a">The scalar.</param>
    public static Scalar operator +(Scalar a) => a;

    /// <summary>Recorded partial of −a: the constant −1.</summary>
    internal static void NegateRecorded(in RecordedEntry e) => e.ConstantPartials();

    // ---- identity -------------------------------------------------------------------------------------------

    /// <summary>Whether both handles name the same slot of the same tape (not whether the values are equal).</summary>
    /// <param name="other">The other scalar.</param>
    public bool Equals(Scalar other) => ReferenceEquals(Tape, other.Tape) && Index == other.Index && Generation == other.Generation;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Scalar other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Tape, Index, Generation);

    /// <summary>Whether both handles name the same slot of the same tape.</summary>
    /// <param name="left">A scalar.</param>
    /// <param name="right">Another scalar.</param>
    public static bool operator ==(Scalar left, Scalar right) => left.Equals(right);

    /// <summary>Whether the handles name different slots.</summary>
    /// <param name="left">A scalar.</param>
    /// <param name="right">Another scalar.</param>
    public static bool operator !=(Scalar left, Scalar right) => !left.Equals(right);

    /// <summary>The value, or a note that the handle is not valid.</summary>
    public override string ToString()
    {
        if (Tape is null)
        {
            return "Scalar(default: on no tape)";
        }

        return Tape.IsLive(this)
            ? string.Create(CultureInfo.InvariantCulture, $"Scalar(#{Index} = {Data:R})")
            : string.Create(CultureInfo.InvariantCulture, $"Scalar(#{Index}: invalid, its tape was reset or disposed)");
    }
}
