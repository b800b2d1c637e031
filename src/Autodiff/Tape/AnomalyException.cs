namespace Autodiff;

/// <summary>Which pass of differentiation produced a non-finite number.</summary>
public enum AnomalyPhase
{
    /// <summary>An operation's result (or, for a scalar entry, the value it recorded).</summary>
    Forward,

    /// <summary>A gradient computed by an operation's backward rule.</summary>
    Backward,
}

/// <summary>
/// A NaN or an infinity appeared while a tape with <see cref="Tape.DetectAnomalies"/> switched on was recording or
/// sweeping (PyTorch's <c>detect_anomaly</c>). The message names the operation, its input shapes (or values, for
/// scalars), where it was called, and whether the forward or the backward pass produced the number.
/// </summary>
public sealed class AnomalyException : ArithmeticException
{
    /// <summary>Creates the exception with the facts the message is made of.</summary>
    /// <param name="phase">Forward or backward.</param>
    /// <param name="op">The operation's name, e.g. "Log".</param>
    /// <param name="inputs">The inputs' shapes (tensors) or values (scalars), formatted.</param>
    /// <param name="file">The source file the operation was called from, when known.</param>
    /// <param name="line">The line in that file.</param>
    /// <param name="detail">What was found, e.g. "NaN at element 3 of the result".</param>
    public AnomalyException(AnomalyPhase phase, string op, string inputs, string? file, int line, string detail)
        : this(phase, op, inputs, file, line, detail, scope: null)
    {
    }

    /// <summary>Creates the exception for an op recorded inside a named scope (<see cref="Autograd.Scope"/>).</summary>
    internal AnomalyException(AnomalyPhase phase, string op, string inputs, string? file, int line, string detail, string? scope, bool tensorOp = false)
        : base(Compose(phase, op, inputs, file, line, detail, scope, tensorOp))
    {
        Scope = scope;
        Phase = phase;
        Op = op;
        Inputs = inputs;
        File = file;
        Line = line;
    }

    /// <summary>Forward or backward.</summary>
    public AnomalyPhase Phase { get; }

    /// <summary>The operation that produced the non-finite number.</summary>
    public string Op { get; }

    /// <summary>The inputs' shapes (tensor ops) or values (scalar ops), formatted.</summary>
    public string Inputs { get; }

    /// <summary>The source file the operation was recorded from, or null when it carries no location (C# operators).</summary>
    public string? File { get; }

    /// <summary>The line in <see cref="File"/>.</summary>
    public int Line { get; }

    /// <summary>
    /// The named scope the op was recorded in and the call site that opened it (" in Linear (Sequential[2], 128→10)
    /// called at Model.cs:42"), or null outside every scope.
    /// </summary>
    public string? Scope { get; }

    private static string Compose(AnomalyPhase phase, string op, string inputs, string? file, int line, string detail, string? scope, bool tensorOp)
    {
        // Only scalar ops are recorded without a line by user code (C# operators carry no caller info); a tensor op
        // without one was recorded by the engine itself, inside another op's rule — advising Scalar.Multiply there
        // would send a tensor user to the wrong API.
        string where = file is not null
            ? $" at {Path.GetFileName(file)}:{line}"
            : tensorOp
                ? " (recorded without a source line: an op the engine records for itself, inside another op's derivative)"
                : " (recorded without a source line: a Scalar operator such as *, whose named form Scalar.Multiply carries one, or an op the engine records for itself)";
        where += scope;
        string pass = phase == AnomalyPhase.Forward ? "forward" : "backward";
        return $"Anomaly in the {pass} pass: '{op}'{where} with inputs ({inputs}) produced {detail}. " +
            (phase == AnomalyPhase.Forward
                ? "Check this op's inputs (domain of log/sqrt/division, overflow of exp); the value flows into everything after it."
                : "Check this op's derivative at these inputs (e.g. sqrt or log at 0, a division by a tiny number) or the size of the incoming gradient.");
    }
}
