namespace Autodiff;

// Higher-order derivatives of scalar code (PyTorch's create_graph=True). The plain sweep keeps each entry's
// partial derivatives as numbers, which is all a first derivative needs and keeps that loop tight. A recorded
// sweep instead rebuilds every partial as an expression of the entry's operands and its own result (Mul: the other
// operand; Sin: cos of the operand; Exp: the result itself) and records the adjoint arithmetic on the same tape,
// so the gradient it returns is a Scalar that can be differentiated again — to any order.
public sealed partial class Tape
{
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
    /// (default where nothing reached it). Each entry's rule is its op's recorded partial, which sits beside the op
    /// (<c>Scalar.SinRecorded</c> beside <c>Scalar.Sin</c>, …). Entries it appends lie above
    /// <paramref name="output"/>, so the walk over the original entries is unaffected; the arrays are re-read each
    /// step because appending may grow them.
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
            var entry = new RecordedEntry(adjoints, g, e.A, At(e.A), e.PartialA, e.B, At(e.B), e.PartialB, At(i), (_ops[i] & ConstantFirst) != 0, e.B == Sink ? e.PartialB : 0.0);
            RecordedRule(OpAt(i))(entry);
        }

        return adjoints;
    }

    /// <summary>
    /// The recorded partial of each op, written beside the op itself. A switch expression without a default arm:
    /// an op added to <see cref="ScalarOp"/> without its rule is a compile error (CS8509).
    /// </summary>
#pragma warning disable CS8524 // values outside the enum cannot occur (OpAt masks the flag bits); CS8509 still catches a named op without a rule
    private static RecordedPartial RecordedRule(ScalarOp op) => op switch
    {
        ScalarOp.None or ScalarOp.Variable or ScalarOp.Constant => NoPartials,
        ScalarOp.Add => Scalar.AddRecorded,
        ScalarOp.Subtract => Scalar.SubtractRecorded,
        ScalarOp.Multiply => Scalar.MultiplyRecorded,
        ScalarOp.Divide => Scalar.DivideRecorded,
        ScalarOp.Negate => Scalar.NegateRecorded,
        ScalarOp.Pow => Scalar.PowRecorded,
        ScalarOp.Exp => Scalar.ExpRecorded,
        ScalarOp.Log => Scalar.LogRecorded,
        ScalarOp.Sqrt => Scalar.SqrtRecorded,
        ScalarOp.Sin => Scalar.SinRecorded,
        ScalarOp.Cos => Scalar.CosRecorded,
        ScalarOp.Tan => Scalar.TanRecorded,
        ScalarOp.Tanh => Scalar.TanhRecorded,
        ScalarOp.Sigmoid => Scalar.SigmoidRecorded,
        ScalarOp.Relu => Scalar.ReluRecorded,
        ScalarOp.LeakyRelu => Scalar.LeakyReluRecorded,
        ScalarOp.Abs => Scalar.AbsRecorded,
        ScalarOp.Max => Scalar.MaxRecorded,
        ScalarOp.Min => Scalar.MinRecorded,
        ScalarOp.Softplus => Scalar.SoftplusRecorded,
        ScalarOp.Gelu => Scalar.GeluRecorded,
        ScalarOp.NormalCdf => Scalar.NormalCdfRecorded,
        ScalarOp.Expm1 => Scalar.Expm1Recorded,
        ScalarOp.Log1p => Scalar.Log1pRecorded,
        ScalarOp.Hypot => Scalar.HypotRecorded,
        ScalarOp.Atan2 => Scalar.Atan2Recorded,
        ScalarOp.Erf => Scalar.ErfRecorded,
        ScalarOp.Erfc => Scalar.ErfcRecorded,
    };
#pragma warning restore CS8524

    /// <summary>Leaves and the sink have no inputs to pass an adjoint to.</summary>
    private static void NoPartials(in RecordedEntry entry)
    {
    }

    /// <summary>The handle of slot <paramref name="i"/> (the sink gives default, which no rule reads).</summary>
    private Scalar At(int i) => i == Sink ? default : new Scalar(this, i, _generation, _values[i]);
}

/// <summary>An op's partials rebuilt with recorded ops, applied to one entry of a recorded sweep.</summary>
internal delegate void RecordedPartial(in RecordedEntry entry);

/// <summary>
/// One entry as a recorded sweep sees it: the adjoint <see cref="G"/> of its result, its operands
/// <see cref="A"/>/<see cref="B"/> and result <see cref="Y"/> as Scalars, and where the contributions to the
/// operands' adjoints go. An op's recorded partial reads these and calls <see cref="ToA"/>/<see cref="ToB"/>.
/// </summary>
internal readonly ref struct RecordedEntry
{
    private readonly Scalar[] _adjoints;
    private readonly int _slotA, _slotB;
    private readonly double _partialA, _partialB;

    public RecordedEntry(Scalar[] adjoints, Scalar g, int slotA, Scalar a, double partialA, int slotB, Scalar b, double partialB, Scalar y, bool constantFirst, double constant)
    {
        _adjoints = adjoints;
        (G, _slotA, A, _partialA, _slotB, B, _partialB, Y, ConstantFirst, Constant) = (g, slotA, a, partialA, slotB, b, partialB, y, constantFirst, constant);
    }

    /// <summary>∂L/∂y, recorded.</summary>
    public Scalar G { get; }

    /// <summary>The first operand (for c − a, c / a, cᵇ: the scalar one).</summary>
    public Scalar A { get; }

    /// <summary>The second operand; <c>default</c> when the op has one scalar operand.</summary>
    public Scalar B { get; }

    /// <summary>The result.</summary>
    public Scalar Y { get; }

    /// <summary>Whether both operands are scalars (a·b rather than a·c).</summary>
    public bool Binary => _slotB != 0;

    /// <summary>Set for the forms whose constant came first (c / a, cᵇ).</summary>
    public bool ConstantFirst { get; }

    /// <summary>The constant an op with one scalar operand kept (c of a + c and c / a, p of aᵖ, …); 0 for two operands.</summary>
    public double Constant { get; }

    /// <summary>Adds a contribution to ∂L/∂a.</summary>
    public void ToA(Scalar contribution) => Add(_slotA, contribution);

    /// <summary>Adds a contribution to ∂L/∂b.</summary>
    public void ToB(Scalar contribution) => Add(_slotB, contribution);

    /// <summary>
    /// For partials that are constants (+, −, the forms with a constant operand) or piecewise constant (ReLU, |x|,
    /// Max, …; second derivative 0 away from the kink): g times the partial the plain sweep uses, kept a number.
    /// </summary>
    public void ConstantPartials()
    {
        AddScaled(_slotA, _partialA);
        AddScaled(_slotB, _partialB);
    }

    private void AddScaled(int slot, double partial)
    {
        if (slot == 0 || partial == 0.0)
        {
            return; // the sink, or a zero partial (its derivative is 0 too)
        }

        Add(slot, partial == 1.0 ? G : partial == -1.0 ? -G : G * partial);
    }

    private void Add(int slot, Scalar contribution)
    {
        Scalar sum = _adjoints[slot];
        _adjoints[slot] = sum.Tape is null ? contribution : sum + contribution;
    }
}
