namespace Autodiff;

// Higher-order derivatives of scalar code (PyTorch's create_graph=True). The plain sweep keeps each entry's
// partial derivatives as numbers, which is all a first derivative needs and keeps that loop tight. A recorded
// sweep instead rebuilds every partial as an expression of the entry's operands and its own result (Mul: the other
// operand; Sin: cos of the operand; Exp: the result itself) and records the adjoint arithmetic on the same tape,
// so the gradient it returns is a Scalar that can be differentiated again — to any order.
public sealed partial class Tape
{
    private const double InverseSqrtTwoPi = 0.3989422804014327; // 1/√(2π)

    /// <summary>
    /// ∂y/∂x as a recorded <see cref="Scalar"/> (PyTorch's <c>create_graph=True</c>): its value is the derivative,
    /// and it can be differentiated again with <see cref="Gradient(Scalar, Scalar)"/> or another recorded gradient.
    /// </summary>
    /// <remarks>
    /// One reverse sweep that records its arithmetic on this tape (about as many new entries again as lead to
    /// <paramref name="y"/>). Subgradients follow the plain sweep: ReLU, |x|, Max and Min have piecewise-constant
    /// derivatives, so their second derivative is 0.
    /// </remarks>
    /// <param name="y">The output.</param>
    /// <param name="x">The variable.</param>
    public Scalar RecordedGradient(Scalar y, Scalar x) => RecordedGradient(y, [x])[0];

    /// <summary>∂y/∂xᵢ for each variable, as recorded Scalars that can be differentiated again.</summary>
    /// <param name="y">The output.</param>
    /// <param name="xs">The variables.</param>
    public Scalar[] RecordedGradient(Scalar y, params ReadOnlySpan<Scalar> xs)
    {
        Validate(y, nameof(RecordedGradient));
        foreach (Scalar x in xs)
        {
            Validate(x, nameof(RecordedGradient));
        }

        if (_mixed)
        {
            ThrowMixedCreateGraph();
        }

        using ClaimScope claim = Claim(nameof(RecordedGradient));
        Scalar[] adjoints = SweepRecorded(y.Index);
        var result = new Scalar[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            Scalar g = xs[i].Index <= y.Index ? adjoints[xs[i].Index] : default;
            result[i] = g.Tape is null ? Constant(0.0, file: null, line: 0) : g;
        }

        return result;
    }

    /// <summary>The Hessian ∂²y/∂xᵢ∂xⱼ: one recorded gradient, then one plain sweep per variable.</summary>
    /// <param name="y">The output.</param>
    /// <param name="xs">The variables.</param>
    public double[,] Hessian(Scalar y, params ReadOnlySpan<Scalar> xs)
    {
        Scalar[] gradient = RecordedGradient(y, xs);
        var hessian = new double[xs.Length, xs.Length];
        var row = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            Gradient(gradient[i], xs, row);
            for (int j = 0; j < xs.Length; j++)
            {
                hessian[i, j] = row[j];
            }
        }

        return hessian;
    }

    /// <summary>
    /// The reverse sweep from <paramref name="output"/>, recorded: returns each slot's adjoint as a Scalar
    /// (default where nothing reached it). Entries it appends lie above <paramref name="output"/>, so the walk over
    /// the original entries is unaffected; the arrays are re-read each step because appending may grow them.
    /// </summary>
    private Scalar[] SweepRecorded(int output)
    {
        var adjoints = new Scalar[output + 1];
        adjoints[output] = Constant(1.0, file: null, line: 0);
        for (int i = output; i > Sink; i--)
        {
            Scalar g = adjoints[i];
            if (g.Tape is null)
            {
                continue; // not on a path to the output
            }

            Entry e = _entries[i];
            ScalarOp op = OpAt(i);
            bool constantFirst = (_ops[i] & ConstantFirst) != 0;
            Scalar a = At(e.A), b = At(e.B), self = At(i);
            switch (op)
            {
                case ScalarOp.Variable or ScalarOp.Constant:
                    break;
                case ScalarOp.Multiply when e.B != Sink:
                    Accumulate(adjoints, e.A, g * b);
                    Accumulate(adjoints, e.B, g * a);
                    break;
                case ScalarOp.Divide when e.B != Sink:                 // y = a/b: ∂/∂a = 1/b, ∂/∂b = −y/b
                    Accumulate(adjoints, e.A, g / b);
                    Accumulate(adjoints, e.B, -(g * self) / b);
                    break;
                case ScalarOp.Divide when constantFirst:                // y = c/a: d/da = −y/a
                    Accumulate(adjoints, e.A, -(g * self) / a);
                    break;
                case ScalarOp.Pow when e.B != Sink:
                    Accumulate(adjoints, e.A, PowBaseDerivative(g, a, b));
                    Accumulate(adjoints, e.B, PowExponentDerivative(g, a, b, self));
                    break;
                case ScalarOp.Pow when constantFirst:                   // y = cᵇ: d/db = y·ln c
                    double c = _constants![i];
                    if (!(c == 0.0 && b.Data >= 0.0))
                    {
                        Accumulate(adjoints, e.A, g * self * Math.Log(c));
                    }

                    break;
                case ScalarOp.Pow:                                      // y = aᵖ: d/da = p·aᵖ⁻¹ (0 for p = 0)
                    double p = _constants![i];
                    if (p != 0.0)
                    {
                        Accumulate(adjoints, e.A, g * (p * Scalar.Pow(a, p - 1.0, file: null, line: 0)));
                    }

                    break;
                case ScalarOp.Exp:
                    Accumulate(adjoints, e.A, g * self);
                    break;
                case ScalarOp.Log:
                    Accumulate(adjoints, e.A, g / a);
                    break;
                case ScalarOp.Sqrt:
                    Accumulate(adjoints, e.A, g * 0.5 / self);
                    break;
                case ScalarOp.Sin:
                    Accumulate(adjoints, e.A, g * Scalar.Cos(a, file: null, line: 0));
                    break;
                case ScalarOp.Cos:
                    Accumulate(adjoints, e.A, -(g * Scalar.Sin(a, file: null, line: 0)));
                    break;
                case ScalarOp.Tan:
                    Accumulate(adjoints, e.A, g * (1.0 + (self * self)));
                    break;
                case ScalarOp.Tanh:
                    Accumulate(adjoints, e.A, g * (1.0 - (self * self)));
                    break;
                case ScalarOp.Sigmoid:
                    Accumulate(adjoints, e.A, g * (self * (1.0 - self)));
                    break;
                case ScalarOp.Softplus:
                    Accumulate(adjoints, e.A, g * Scalar.Sigmoid(a, file: null, line: 0));
                    break;
                case ScalarOp.NormalCdf:
                    Accumulate(adjoints, e.A, g * NormalPdf(a));
                    break;
                case ScalarOp.Gelu:                                     // d/dx x·Φ(x) = Φ(x) + x·φ(x)
                    Accumulate(adjoints, e.A, g * (Scalar.NormalCdf(a, file: null, line: 0) + (a * NormalPdf(a))));
                    break;
                default:
                    // Add, Subtract, Negate, and the constant-operand forms of ·, /; ReLU, leaky ReLU, |x|, Max and
                    // Min: the partials are constants (piecewise, for the last five), so they stay numbers.
                    AccumulateScaled(adjoints, e.A, g, e.PartialA);
                    AccumulateScaled(adjoints, e.B, g, e.PartialB);
                    break;
            }
        }

        return adjoints;
    }

    /// <summary>The handle of slot <paramref name="i"/> (the sink gives default, which no rule reads).</summary>
    private Scalar At(int i) => i == Sink ? default : new Scalar(this, i, _generation, _values[i]);

    private static void Accumulate(Scalar[] adjoints, int slot, Scalar contribution)
    {
        Scalar sum = adjoints[slot];
        adjoints[slot] = sum.Tape is null ? contribution : sum + contribution;
    }

    /// <summary>Adds g·∂ for a constant partial ∂; a zero partial adds nothing (its derivative is 0 too).</summary>
    private static void AccumulateScaled(Scalar[] adjoints, int slot, Scalar g, double partial)
    {
        if (slot == Sink || partial == 0.0)
        {
            return;
        }

        Accumulate(adjoints, slot, partial == 1.0 ? g : partial == -1.0 ? -g : g * partial);
    }

    /// <summary>g·b·aᵇ⁻¹, with the plain rule's 0 at b = 0 kept only where aᵇ⁻¹ itself is not finite.</summary>
    private static Scalar PowBaseDerivative(Scalar g, Scalar a, Scalar b)
        => b.Data == 0.0 && a.Data == 0.0 ? g * 0.0 : g * (b * Scalar.Pow(a, b - 1.0, file: null, line: 0));

    /// <summary>g·y·ln a, taken as 0 where a = 0 and b ≥ 0, as in the plain rule.</summary>
    private static Scalar PowExponentDerivative(Scalar g, Scalar a, Scalar b, Scalar y)
        => a.Data == 0.0 && b.Data >= 0.0 ? g * 0.0 : g * (y * Scalar.Log(a, file: null, line: 0));

    /// <summary>φ(x) = e^(−x²/2)/√(2π), recorded.</summary>
    private static Scalar NormalPdf(Scalar x) => Scalar.Exp(x * x * -0.5, file: null, line: 0) * InverseSqrtTwoPi;
}
