namespace Autodiff;

/// <summary>How <see cref="GradCheck"/> compares a function's derivatives from the tape with finite differences.</summary>
/// <remarks>
/// The defaults are those of PyTorch's <c>torch.autograd.gradcheck</c>: step <c>eps = 1e-6</c>, and an element
/// passes when |analytic − numeric| ≤ <c>atol</c> + <c>rtol</c>·|numeric| with <c>atol = 1e-5</c>,
/// <c>rtol = 1e-3</c>. Central differences in double precision have an error of order eps² for smooth
/// functions, plus about 1e-16/eps from rounding, so about 1e-10 at the default step: tests may tighten the
/// tolerances well below the defaults.
/// </remarks>
public sealed record GradCheckOptions
{
    /// <summary>The finite-difference step; central differences use x ± Eps.</summary>
    public double Eps { get; init; } = 1e-6;

    /// <summary>Absolute tolerance.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-5;

    /// <summary>Relative tolerance, applied to the magnitude of the numerical derivative.</summary>
    public double RelativeTolerance { get; init; } = 1e-3;

    /// <summary>Which comparison to run; <see cref="GradCheckMode.Auto"/> picks by size.</summary>
    public GradCheckMode Mode { get; init; } = GradCheckMode.Auto;

    /// <summary>
    /// In <see cref="GradCheckMode.Auto"/>, the full Jacobian is compared while inputs × outputs is at most this
    /// many elements; above it, random directions are used.
    /// </summary>
    public int FullJacobianLimit { get; init; } = 4096;

    /// <summary>Number of random direction pairs (u, v) in <see cref="GradCheckMode.RandomDirections"/>.</summary>
    public int Directions { get; init; } = 4;

    /// <summary>Seed for the random directions, so a failure can be reproduced.</summary>
    public int Seed { get; init; } = 12345;

    /// <summary>The defaults (PyTorch's).</summary>
    public static GradCheckOptions Default { get; } = new();
}

/// <summary>Which comparison <see cref="GradCheck"/> runs.</summary>
public enum GradCheckMode
{
    /// <summary>Full Jacobian for small problems, random directions for large ones.</summary>
    Auto,

    /// <summary>
    /// Every element of the Jacobian: row j from one backward sweep seeded at output j, column i from a central
    /// difference along input i. Costs (outputs backward sweeps) + (2 · inputs evaluations).
    /// </summary>
    FullJacobian,

    /// <summary>
    /// For random u (inputs) and v (outputs): ⟨v, J·u⟩ by a central difference along u against ⟨Jᵀv, u⟩ from
    /// one backward sweep. Two evaluations and one sweep per direction, whatever the size.
    /// </summary>
    RandomDirections,
}
