namespace Autodiff;

/// <summary>
/// The derivatives of one output with respect to every scalar recorded before it, as returned by
/// <see cref="Tape.Backward(Scalar)"/>. Indexed by scalar: <c>g[x]</c> is ∂y/∂x.
/// </summary>
/// <remarks>A snapshot: later sweeps on the same tape do not change it.</remarks>
public sealed class Gradients
{
    private readonly Tape _tape;
    private readonly int _generation;
    private readonly double[] _adjoints;

    internal Gradients(Tape tape, int generation, double[] adjoints)
    {
        _tape = tape;
        _generation = generation;
        _adjoints = adjoints;
    }

    /// <summary>∂y/∂x; 0 for a scalar that the output does not depend on.</summary>
    /// <param name="x">A scalar of the tape the gradients were taken on.</param>
    public double this[Scalar x]
    {
        get
        {
            if (!ReferenceEquals(x.Tape, _tape) || x.Generation != _generation)
            {
                throw new ArgumentException($"Gradients: scalar #{x.Index} is not from the tape (and generation) these gradients were taken on.", nameof(x));
            }

            return x.Index < _adjoints.Length ? _adjoints[x.Index] : 0.0;
        }
    }
}
