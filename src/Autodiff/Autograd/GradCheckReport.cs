using System.Globalization;

namespace Autodiff;

/// <summary>The outcome of a <see cref="GradCheck"/>: the largest errors and where the worst one is.</summary>
/// <param name="Mode">The comparison that ran (never <see cref="GradCheckMode.Auto"/>).</param>
/// <param name="Passed">Whether every compared element was within tolerance.</param>
/// <param name="MaxAbsoluteError">The largest |analytic − numeric| over all compared elements.</param>
/// <param name="MaxRelativeError">The largest |analytic − numeric| / max(|analytic|, |numeric|) (0 where both are 0).</param>
/// <param name="WorstOutput">Output index of the worst element (full mode), or the direction index (random mode).</param>
/// <param name="WorstInput">Input index of the worst element (full mode), or −1 (random mode).</param>
/// <param name="WorstAnalytic">The derivative from the tape at the worst element.</param>
/// <param name="WorstNumeric">The finite-difference derivative at the worst element.</param>
/// <param name="Compared">How many elements (or directions) were compared.</param>
public sealed record GradCheckReport(
    GradCheckMode Mode,
    bool Passed,
    double MaxAbsoluteError,
    double MaxRelativeError,
    int WorstOutput,
    int WorstInput,
    double WorstAnalytic,
    double WorstNumeric,
    int Compared)
{
    /// <summary>A one-paragraph summary naming the worst element.</summary>
    public override string ToString()
    {
        string where = Mode == GradCheckMode.FullJacobian
            ? $"∂out[{WorstOutput}]/∂in[{WorstInput}]"
            : $"direction {WorstOutput}";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"GradCheck ({Mode}, {Compared} compared): {(Passed ? "passed" : "FAILED")}; max abs error {MaxAbsoluteError:E3}, " +
            $"max rel error {MaxRelativeError:E3}; worst at {where}: analytic {WorstAnalytic:R} vs numeric {WorstNumeric:R}");
    }
}

/// <summary>Thrown by <see cref="GradCheck.Assert(Func{Scalar[], Scalar}, double[], GradCheckOptions?)"/> when a check fails.</summary>
public sealed class GradCheckException : Exception
{
    /// <summary>Creates the exception for a failed report.</summary>
    /// <param name="report">The failed check.</param>
    public GradCheckException(GradCheckReport report)
        : base(report?.ToString())
    {
        Report = report;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public GradCheckException()
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    /// <param name="message">The message.</param>
    public GradCheckException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public GradCheckException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The failed check, when there is one.</summary>
    public GradCheckReport? Report { get; }
}
