namespace Autodiff;

/// <summary>
/// Checks the derivatives that the tape computes against central finite differences in double precision,
/// like PyTorch's <c>torch.autograd.gradcheck</c>. Usable from tests and from users' own code.
/// </summary>
/// <remarks>
/// Two comparisons (see <see cref="GradCheckMode"/>): every element of the Jacobian for small problems, and
/// for large ones the inner-product test ⟨v, J·u⟩ (central difference along a random unit direction u) against
/// ⟨Jᵀv, u⟩ (one backward sweep seeded with a random v), which costs two evaluations whatever the size.
/// Keep inputs away from kinks (ReLU at 0, |x| at 0, ties of Max): there the one-sided derivatives differ and
/// no finite difference can agree with a subgradient.
/// </remarks>
public static class GradCheck
{
    /// <summary>Checks the gradient of a scalar-valued function of scalars at <paramref name="x"/>.</summary>
    /// <param name="f">The function; it must record its result on the tape of its arguments.</param>
    /// <param name="x">The point to check at.</param>
    /// <param name="options">Step and tolerances; PyTorch's defaults when omitted.</param>
    public static GradCheckReport Check(Func<Scalar[], Scalar> f, double[] x, GradCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Check(xs => [f(xs)], x, options);
    }

    /// <summary>Checks the Jacobian of a vector-valued function of scalars at <paramref name="x"/>.</summary>
    /// <param name="f">The function; it must record its results on the tape of its arguments.</param>
    /// <param name="x">The point to check at.</param>
    /// <param name="options">Step and tolerances; PyTorch's defaults when omitted.</param>
    public static GradCheckReport Check(Func<Scalar[], Scalar[]> f, double[] x, GradCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        using var function = new ScalarFunction(f);
        return Check(function, x, options ?? GradCheckOptions.Default);
    }

    /// <summary>Like <see cref="Check(Func{Scalar[], Scalar}, double[], GradCheckOptions?)"/>, but throws when the check fails.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point to check at.</param>
    /// <param name="options">Step and tolerances.</param>
    /// <exception cref="GradCheckException">The derivatives disagree beyond the tolerances.</exception>
    public static GradCheckReport Assert(Func<Scalar[], Scalar> f, double[] x, GradCheckOptions? options = null)
        => ThrowIfFailed(Check(f, x, options));

    /// <summary>Like <see cref="Check(Func{Scalar[], Scalar[]}, double[], GradCheckOptions?)"/>, but throws when the check fails.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point to check at.</param>
    /// <param name="options">Step and tolerances.</param>
    /// <exception cref="GradCheckException">The derivatives disagree beyond the tolerances.</exception>
    public static GradCheckReport Assert(Func<Scalar[], Scalar[]> f, double[] x, GradCheckOptions? options = null)
        => ThrowIfFailed(Check(f, x, options));

    /// <summary>Checks the vector–Jacobian products of a function of double tensors at the given inputs.</summary>
    /// <remarks>
    /// The function's output may have any shape; every element is an output of the Jacobian. The inputs are
    /// copied, so the caller's tensors (and their <see cref="Tensor{T}.Grad"/>) are left alone.
    /// </remarks>
    /// <param name="f">The function; it is run on a private tape.</param>
    /// <param name="inputs">The point to check at.</param>
    /// <param name="options">Step and tolerances; PyTorch's defaults when omitted.</param>
    public static GradCheckReport Check(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs, GradCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        using var function = new TensorFunction(f, inputs.Select(t => t.ShapeArray()).ToArray());
        return Check(function, inputs.SelectMany(t => t.ToArray()).ToArray(), options ?? GradCheckOptions.Default);
    }

    /// <summary>Like <see cref="Check(Func{Tensor{double}[], Tensor{double}}, Tensor{double}[], GradCheckOptions?)"/>, but throws when the check fails.</summary>
    /// <param name="f">The function.</param>
    /// <param name="inputs">The point to check at.</param>
    /// <param name="options">Step and tolerances.</param>
    /// <exception cref="GradCheckException">The derivatives disagree beyond the tolerances.</exception>
    public static GradCheckReport Assert(Func<Tensor<double>[], Tensor<double>> f, Tensor<double>[] inputs, GradCheckOptions? options = null)
        => ThrowIfFailed(Check(f, inputs, options));

    private static GradCheckReport ThrowIfFailed(GradCheckReport report)
        => report.Passed ? report : throw new GradCheckException(report);

    /// <summary>The comparison itself, over any function that can be evaluated and pulled back through.</summary>
    internal static GradCheckReport Check(IDifferentiableFunction f, double[] x, GradCheckOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Eps);
        if (x.Length == 0)
        {
            throw new ArgumentException("GradCheck: the function has no inputs to differentiate with respect to.", nameof(x));
        }

        int outputs = f.Evaluate(x).Length;
        if (outputs == 0)
        {
            throw new ArgumentException("GradCheck: the function has no outputs.", nameof(f));
        }

        GradCheckMode mode = options.Mode;
        if (mode == GradCheckMode.Auto)
        {
            mode = (long)x.Length * outputs <= options.FullJacobianLimit ? GradCheckMode.FullJacobian : GradCheckMode.RandomDirections;
        }

        var tally = new Tally(options);
        if (mode == GradCheckMode.FullJacobian)
        {
            CompareFullJacobian(f, x, outputs, options.Eps, ref tally);
        }
        else
        {
            CompareRandomDirections(f, x, outputs, options, ref tally);
        }

        return tally.Report(mode);
    }

    private static void CompareFullJacobian(IDifferentiableFunction f, double[] x, int outputs, double eps, ref Tally tally)
    {
        // Analytic rows: one backward sweep per output, seeded with the unit vector eⱼ.
        var analytic = new double[outputs][];
        var seed = new double[outputs];
        for (int j = 0; j < outputs; j++)
        {
            seed[j] = 1.0;
            analytic[j] = f.VectorJacobianProduct(x, seed);
            seed[j] = 0.0;
        }

        // Numeric columns: a central difference along each input.
        var shifted = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            shifted[i] = x[i] + eps;
            double[] plus = f.Evaluate(shifted);
            shifted[i] = x[i] - eps;
            double[] minus = f.Evaluate(shifted);
            shifted[i] = x[i];
            for (int j = 0; j < outputs; j++)
            {
                tally.Add(analytic[j][i], (plus[j] - minus[j]) / (2 * eps), j, i);
            }
        }
    }

    private static void CompareRandomDirections(IDifferentiableFunction f, double[] x, int outputs, GradCheckOptions options, ref Tally tally)
    {
        var random = new Random(options.Seed);
        double eps = options.Eps;
        var u = new double[x.Length];
        var v = new double[outputs];
        var shifted = new double[x.Length];
        for (int k = 0; k < options.Directions; k++)
        {
            FillUnitGaussian(random, u);
            FillUnitGaussian(random, v);

            for (int i = 0; i < x.Length; i++)
            {
                shifted[i] = x[i] + (eps * u[i]);
            }

            double[] plus = f.Evaluate(shifted);
            for (int i = 0; i < x.Length; i++)
            {
                shifted[i] = x[i] - (eps * u[i]);
            }

            double[] minus = f.Evaluate(shifted);
            double numeric = 0;
            for (int j = 0; j < outputs; j++)
            {
                numeric += v[j] * (plus[j] - minus[j]) / (2 * eps);
            }

            double[] pulledBack = f.VectorJacobianProduct(x, v);
            double analytic = 0;
            for (int i = 0; i < x.Length; i++)
            {
                analytic += pulledBack[i] * u[i];
            }

            tally.Add(analytic, numeric, k, -1);
        }
    }

    private static void FillUnitGaussian(Random random, double[] destination)
    {
        double norm = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            // Box–Muller: two uniforms give one standard normal.
            double r = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            destination[i] = r * Math.Cos(2.0 * Math.PI * random.NextDouble());
            norm += destination[i] * destination[i];
        }

        norm = Math.Sqrt(norm);
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] /= norm;
        }
    }

    /// <summary>Running maxima of the errors, and the element that is furthest outside its tolerance.</summary>
    private struct Tally(GradCheckOptions options)
    {
        private double _maxAbs;
        private double _maxRel;
        private double _worstExcess = double.NegativeInfinity;
        private int _worstOutput = -1;
        private int _worstInput = -1;
        private double _worstAnalytic;
        private double _worstNumeric;
        private int _compared;
        private bool _failed;

        public void Add(double analytic, double numeric, int output, int input)
        {
            _compared++;
            double abs = Math.Abs(analytic - numeric);
            double scale = Math.Max(Math.Abs(analytic), Math.Abs(numeric));
            double rel = scale == 0 ? 0 : abs / scale;
            double allowed = options.AbsoluteTolerance + (options.RelativeTolerance * Math.Abs(numeric));
            bool ok = abs <= allowed; // false for NaN
            double excess = ok ? abs / allowed : double.PositiveInfinity;
            _failed |= !ok;
            _maxAbs = double.IsNaN(abs) ? double.NaN : Math.Max(_maxAbs, abs);
            _maxRel = double.IsNaN(rel) ? double.NaN : Math.Max(_maxRel, rel);
            if (excess > _worstExcess || (double.IsPositiveInfinity(excess) && abs > Math.Abs(_worstAnalytic - _worstNumeric)))
            {
                _worstExcess = excess;
                (_worstOutput, _worstInput, _worstAnalytic, _worstNumeric) = (output, input, analytic, numeric);
            }
        }

        public readonly GradCheckReport Report(GradCheckMode mode)
            => new(mode, !_failed, _maxAbs, _maxRel, _worstOutput, _worstInput, _worstAnalytic, _worstNumeric, _compared);
    }
}

/// <summary>What <see cref="GradCheck"/> needs of a function: values, and vector–Jacobian products from the tape.</summary>
internal interface IDifferentiableFunction
{
    /// <summary>f(x) as a flat vector.</summary>
    double[] Evaluate(double[] x);

    /// <summary>Jᵀv at x, from one backward sweep.</summary>
    double[] VectorJacobianProduct(double[] x, double[] v);
}

/// <summary>Adapts a function of scalars: every call records on a private tape that is reset each time.</summary>
internal sealed class ScalarFunction(Func<Scalar[], Scalar[]> f) : IDifferentiableFunction, IDisposable
{
    private readonly Tape _tape = new();

    public double[] Evaluate(double[] x)
    {
        Scalar[] ys = Record(x, out _);
        var values = new double[ys.Length];
        for (int j = 0; j < ys.Length; j++)
        {
            values[j] = ys[j].Value;
        }

        return values;
    }

    public double[] VectorJacobianProduct(double[] x, double[] v)
    {
        Scalar[] ys = Record(x, out Scalar[] xs);
        if (ys.Length != v.Length)
        {
            throw new InvalidOperationException($"GradCheck: the function returned {ys.Length} outputs at one point and {v.Length} at another.");
        }

        Gradients g = _tape.Backward(ys, v);
        var result = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            result[i] = g[xs[i]];
        }

        return result;
    }

    private Scalar[] Record(double[] x, out Scalar[] xs)
    {
        _tape.Reset();
        xs = _tape.Variables(x);
        Scalar[] ys = f(xs);
        foreach (Scalar y in ys)
        {
            _tape.Validate(y, nameof(GradCheck));
        }

        return ys;
    }

    public void Dispose() => _tape.Dispose();
}

/// <summary>Adapts a function of double tensors: inputs are rebuilt from the flat point on a private tape each call.</summary>
internal sealed class TensorFunction(Func<Tensor<double>[], Tensor<double>> f, int[][] shapes) : IDifferentiableFunction, IDisposable
{
    private readonly Tape _tape = new();

    public double[] Evaluate(double[] x)
    {
        _tape.Reset();
        return f(Inputs(x)).ToArray();
    }

    public double[] VectorJacobianProduct(double[] x, double[] v)
    {
        _tape.Reset();
        Tensor<double>[] inputs = Inputs(x);
        Tensor<double> y = f(inputs);
        if (y.Size != v.Length)
        {
            throw new InvalidOperationException($"GradCheck: the function returned {y.Size} elements at one point and {v.Length} at another.");
        }

        if (!y.GradRequired)
        {
            // The output does not depend on any input (e.g. a constant): its Jacobian is zero.
            return new double[x.Length];
        }

        Tensor<double>[] grads = _tape.Gradient(y, inputs, new Tensor<double>((double[])v.Clone(), y.ShapeArray()));
        return grads.SelectMany(g => g.ToArray()).ToArray();
    }

    private Tensor<double>[] Inputs(double[] x)
    {
        var inputs = new Tensor<double>[shapes.Length];
        int offset = 0;
        for (int i = 0; i < shapes.Length; i++)
        {
            int size = Shapes.Size(shapes[i]);
            inputs[i] = new Tensor<double>(x.AsSpan(offset, size).ToArray(), shapes[i]).RequiresGrad();
            offset += size;
        }

        return inputs;
    }

    public void Dispose() => _tape.Dispose();
}
