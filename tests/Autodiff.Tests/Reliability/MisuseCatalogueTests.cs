using Autodiff.Testing;

namespace Autodiff.Tests.Reliability;

/// <summary>
/// The misuse catalogue of the engine: one case per way of holding it wrong, each asserting the specific exception
/// type and the parts of its message that say what went wrong and what to do. docs/reliability.md lists them.
/// </summary>
[TestFixture]
public sealed class MisuseCatalogueTests
{
    /// <summary>One misuse: what the user does, the exception it must raise, and what the message must say.</summary>
    public sealed record Misuse(string Name, Action Act, Type Expected, params string[] Says)
    {
        public override string ToString() => Name;
    }

    private static Tensor<double> M(int rows, int cols) => Tensor.Ones<double>(rows, cols);

    private static Tensor<double> Tracked(params int[] shape) => Tensor.Ones<double>(shape).RequiresGrad();

    public static IEnumerable<Misuse> Cases()
    {
        // ---- shapes, one per op family ----------------------------------------------------------------------
        yield return new("elementwise: shapes that do not broadcast", () => _ = M(2, 3).Add(M(4, 3)), typeof(ArgumentException),
            "Add", "[2, 3]", "[4, 3]", "do not broadcast", "MisuseCatalogueTests.cs:", "equal or one of them 1");
        yield return new("matmul: inner dimensions differ", () => _ = M(64, 784).MatMul(M(128, 10)), typeof(ArgumentException),
            "MatMul", "[64, 784] × [128, 10]", "inner dimensions 784 ≠ 128", "transposed?");
        yield return new("matmul: a 0-d operand", () => _ = Tensor.Ones<double>().MatMul(M(2, 2)), typeof(ArgumentException),
            "MatMul", "at least 1 dimension", "use Mul");
        yield return new("matmul: batch sizes do not broadcast", () => _ = Tensor.Ones<double>(2, 3, 4).MatMul(Tensor.Ones<double>(3, 4, 5)), typeof(ArgumentException),
            "MatMul", "batch axes [2] and [3] do not broadcast");
        yield return new("matmul transposed: not [m, k] × [n, k]", () => _ = M(2, 3).MatMulTransposed(M(2, 4)), typeof(ArgumentException),
            "MatMulTransposed", "[m, k] and [n, k]");
        yield return new("linear: weight does not fit the input", () => _ = Tensor.Linear(M(4, 3), M(5, 2), null), typeof(ArgumentException),
            "Linear", "x [m, k], W [n, k]");
        yield return new("reduction: axis out of range", () => _ = M(2, 3).Sum(5), typeof(ArgumentException),
            "Sum", "axis 5 is out of range", "rank 2", "use an axis in [-2, 2)");
        yield return new("reduction: axis given twice", () => _ = M(2, 3).Sum([1, -1]), typeof(ArgumentException),
            "Sum", "axes [1, -1] name axis 1 of a tensor of shape [2, 3] twice");
        yield return new("reduction: max over an empty axis", () => _ = Tensor.Zeros<double>(2, 0).Max(1), typeof(ArgumentException),
            "Max", "empty axis 1");
        yield return new("softmax: axis out of range", () => _ = M(2, 3).Softmax(2), typeof(ArgumentException),
            "Softmax", "axis 2 is out of range");
        yield return new("argmax over an empty axis", () => _ = Tensor.Zeros<double>(3, 0).ArgMax(1), typeof(ArgumentException),
            "ArgMax", "is empty");
        yield return new("reshape: element count differs", () => _ = M(2, 3).Reshape([4]), typeof(ArgumentException),
            "Reshape", "cannot reshape [2, 3] (6 elements) to [4]", "same number of elements");
        yield return new("squeeze: axis out of range", () => _ = M(2, 3).Squeeze(5), typeof(ArgumentException),
            "Squeeze", "axis 5 is out of range", "[-2, 2)");
        yield return new("broadcastTo: incompatible target", () => _ = M(2, 3).BroadcastTo([4, 3]), typeof(ArgumentException),
            "BroadcastTo", "[2, 3] and [4, 3] do not broadcast");
        yield return new("transpose: rank 1", () => _ = Tensor.Ones<double>(3).Transpose(), typeof(ArgumentException),
            "Transpose", "at least 2 dimensions");
        yield return new("permute: not a permutation", () => _ = M(2, 3).Permute([0, 0]), typeof(ArgumentException),
            "Permute", "not a permutation");
        yield return new("narrow: range outside the axis", () => _ = M(2, 3).Narrow(1, 2, 5), typeof(ArgumentException),
            "Narrow", "range [2, 7) is outside axis 1");
        yield return new("indexSelect: index out of range", () => _ = M(2, 3).IndexSelect(1, [0, 3]), typeof(ArgumentException),
            "IndexSelect", "index 3 is out of range", "size 3", "[0, 3)");
        yield return new("gather: index count does not fit", () => _ = M(2, 3).Gather(1, [0, 1, 2]), typeof(ArgumentException),
            "Gather", "3 indices do not fit");
        yield return new("concat: shapes differ off the axis", () => _ = Tensor.Concat<double>([M(2, 3), M(3, 4)], 0), typeof(ArgumentException),
            "Concat", "[2, 3] and [3, 4] differ outside axis 0", "only along the axis");
        yield return new("concat: no tensors", () => _ = Tensor.Concat<double>([], 0), typeof(ArgumentException),
            "Concat", "at least one tensor");
        yield return new("stack: shapes differ", () => _ = Tensor.Stack<double>([M(2, 3), M(2, 2)]), typeof(ArgumentException),
            "Stack", "differ");
        yield return new("where: mask does not broadcast", () => _ = Tensor.Where(M(2, 2), M(3, 3), M(3, 3)), typeof(ArgumentException),
            "Where", "do not broadcast");
        yield return new("clamp: min greater than max", () => _ = M(2, 2).Clamp(1.0, 0.0), typeof(ArgumentException),
            "Clamp", "min 1 is greater than max 0");
        yield return new("cross-entropy: one target per row", () => _ = Tensor.CrossEntropy(M(4, 3), [0, 1]), typeof(ArgumentException),
            "CrossEntropy", "2 targets", "one target per row");
        yield return new("cross-entropy: target not a class index", () => _ = Tensor.CrossEntropy(M(2, 3), [0, 3]), typeof(ArgumentOutOfRangeException),
            "CrossEntropy", "target 3 (row 1)", "[0, 3)");
        yield return new("cross-entropy mean: one target per row", () => _ = Tensor.CrossEntropyMean(M(4, 3), [0, 1]), typeof(ArgumentException),
            "CrossEntropyMean", "2 targets", "one target per row");
        yield return new("cross-entropy mean: target not a class index", () => _ = Tensor.CrossEntropyMean(M(2, 3), [0, -1]), typeof(ArgumentOutOfRangeException),
            "CrossEntropyMean", "target -1 (row 1)", "[0, 3)");

        // ---- construction and element access ----------------------------------------------------------------
        yield return new("fromArray: values do not fill the shape", () => _ = Tensor.FromArray<double>([1.0, 2.0, 3.0], 2, 2), typeof(ArgumentException),
            "FromArray", "3 values do not fill shape [2, 2]");
        yield return new("zeros: negative dimension", () => _ = Tensor.Zeros<double>(2, -1), typeof(ArgumentException),
            "negative dimension", "[2, -1]");
        yield return new("zeros: more elements than an array holds", () => _ = Tensor.Zeros<double>(65536, 65536, 65536, 65536), typeof(ArgumentException),
            "[65536, 65536, 65536, 65536]", "more elements than a tensor can hold", "smaller tensors");
        yield return new("reshape: to a shape beyond an array", () => _ = M(2, 3).Reshape([65536, 65536, -1]), typeof(ArgumentException),
            "Reshape", "cannot reshape [2, 3]", "same number of elements");
        yield return new("arange: zero step", () => _ = Tensor.Arange(0.0, 1.0, 0.0), typeof(ArgumentException),
            "Arange", "non-zero");
        yield return new("indexer: wrong number of indices", () => _ = M(2, 3)[1], typeof(ArgumentException),
            "1 indices for a tensor of shape [2, 3]");
        yield return new("indexer: index out of range", () => _ = M(2, 3)[1, 3], typeof(ArgumentOutOfRangeException),
            "index 3 is out of range for dimension 1");
        yield return new("item: more than one element", () => _ = M(2, 3).Item(), typeof(InvalidOperationException),
            "Item", "shape [2, 3]", "only one-element tensors");

        // ---- backward -----------------------------------------------------------------------------------------
        yield return new("backward: non-scalar output without a seed", () =>
        {
            using var tape = new Tape();
            (Tracked(2, 2) * 2.0).Backward();
        }, typeof(InvalidOperationException), "Backward", "shape [2, 2]", "only a one-element output", "seed");
        yield return new("backward: seed of the wrong shape", () =>
        {
            using var tape = new Tape();
            (Tracked(2, 2) * 2.0).Backward(M(2, 3));
        }, typeof(ArgumentException), "Backward", "seed has shape [2, 3]", "output has shape [2, 2]");
        yield return new("backward: never recorded (no tape)", () => (Tracked(2) * 2.0).Sum().Backward(), typeof(InvalidOperationException),
            "not recorded on a tape", "RequiresGrad()", "new Tape()");
        yield return new("backward: nothing requires grad", () =>
        {
            using var tape = new Tape();
            (M(2, 2) * 2.0).Sum().Backward();
        }, typeof(InvalidOperationException), "not recorded on a tape", "RequiresGrad()");
        yield return new("backward: after the tape was disposed", () =>
        {
            Tensor<double> loss;
            using (var tape = new Tape())
            {
                loss = (Tracked(2) * 2.0).Sum();
            }

            loss.Backward();
        }, typeof(ObjectDisposedException), "Backward", "disposed", "inside the tape's using block");
        yield return new("backward: after the tape was reset", () =>
        {
            using var tape = new Tape();
            Tensor<double> loss = (Tracked(2) * 2.0).Sum();
            tape.Reset();
            loss.Backward();
        }, typeof(InvalidOperationException), "Backward", "before its last Reset()", "Call Backward() before resetting");
        yield return new("backward: a saved input changed in place (version counter)", () =>
        {
            using var tape = new Tape();
            Tensor<double> x = Tracked(2);
            Tensor<double> loss = (x * x).Sum();
            x.MutableSpan()[0] = 3.0;
            loss.Backward();
        }, typeof(InvalidOperationException), "'Mul'", "changed in place", "between a backward pass and the next forward");
        yield return new("tensor: read after the tape that lent its memory was reset", () =>
        {
            using var tape = new Tape();
            Tensor<double> y = Tracked(2) * 2.0;
            tape.Reset();
            _ = y.ToArray();
        }, typeof(InvalidOperationException), "made by 'Mul'", "has been reset", "Clone()");
        yield return new("tensor: value from one tape used on another", () =>
        {
            using var first = new Tape();
            Tensor<double> y = Tracked(2) * 2.0;
            using var second = new Tape();
            _ = y * 3.0;
        }, typeof(ArgumentException), "was made by 'Mul' on another tape", "Detach()");
        yield return new("requiresGrad on a non-leaf", () =>
        {
            using var tape = new Tape();
            _ = (Tracked(2) * 2.0).RequiresGrad();
        }, typeof(InvalidOperationException), "RequiresGrad", "only leaves", "Detach()");
        yield return new("tape.Gradient: with respect to a tensor that does not require grad", () =>
        {
            using var tape = new Tape();
            Tensor<double> x = Tracked(2);
            _ = tape.Gradient((x * 2.0).Sum(), [M(1, 2)]);
        }, typeof(ArgumentException), "xs[0]", "does not require grad", "RequiresGrad()");
        yield return new("custom op: rule returns a gradient of the wrong shape", () =>
        {
            using var tape = new Tape();
            Tensor<double> y = Autograd.Custom<double>("Odd", [Tracked(2)], xs => xs[0].Clone(), (g, xs, r) => [M(3, 3)]);
            y.Sum().Backward();
        }, typeof(ArgumentException), "Odd", "shape [3, 3] for input 0 of shape [2]", "in the input's shape");
        yield return new("custom op: rule returns too many gradients", () =>
        {
            using var tape = new Tape();
            Tensor<double> y = Autograd.Custom<double>("Odd", [Tracked(2)], xs => xs[0].Clone(), (g, xs, r) => [g, g]);
            y.Sum().Backward();
        }, typeof(ArgumentException), "Odd", "2 gradients for 1 inputs", "one per input");
        yield return new("grad: the function does not return one element", () => _ = Autograd.Grad(x => x * 2.0, Tensor.Ones<double>(3)), typeof(InvalidOperationException),
            "Autograd.Grad", "shape [3]", "not one element", "Autograd.Vjp", "Autograd.Jacobian");
        yield return new("hessian-vector product: v does not match x", () => _ = Autograd.HessianVectorProduct(x => (x * x).Sum(), Tensor.Ones<double>(3), Tensor.Ones<double>(2)), typeof(ArgumentException),
            "v has shape [2]", "x has shape [3]", "must match");
        yield return new("gradCheck: no inputs", () => _ = GradCheck.Check(xs => xs.Length > 0 ? xs[0] : default, Array.Empty<double>()), typeof(ArgumentException),
            "GradCheck", "no inputs");

        // ---- scalars ------------------------------------------------------------------------------------------
        yield return new("scalar: operands from two tapes", () =>
        {
            using var a = new Tape();
            Scalar x = a.Variable(1);
            using var b = new Tape();
            _ = x + b.Variable(2);
        }, typeof(InvalidOperationException), "Add", "different tapes", "same tape");
        yield return new("scalar: default(Scalar)", () => _ = Scalar.Exp(default), typeof(InvalidOperationException),
            "Exp", "default(Scalar)", "Tape.Variable");
        yield return new("scalar: used after the tape was reset", () =>
        {
            using var tape = new Tape();
            Scalar x = tape.Variable(1);
            tape.Reset();
            _ = x * 2.0;
        }, typeof(InvalidOperationException), "Multiply", "before the tape was reset", "record the computation again");
        yield return new("scalar: gradient after the tape was disposed", () =>
        {
            var tape = new Tape();
            Scalar x = tape.Variable(1);
            Scalar y = x * x;
            tape.Dispose();
            _ = tape.Gradient(y, x);
        }, typeof(ObjectDisposedException), "Gradient", "disposed", "using block");
        yield return new("scalar: recording on a disposed tape", () =>
        {
            var tape = new Tape();
            tape.Dispose();
            _ = tape.Variable(1);
        }, typeof(ObjectDisposedException), "Variable", "disposed", "create a new Tape");
        yield return new("scalar: reset of a disposed tape", () =>
        {
            var tape = new Tape();
            tape.Dispose();
            tape.Reset();
        }, typeof(ObjectDisposedException), "Reset", "disposed");
        yield return new("scalar: gradients indexed by a scalar of another tape", () =>
        {
            using var a = new Tape();
            Scalar x = a.Variable(1);
            Gradients g = a.Backward(x * x);
            using var b = new Tape();
            _ = g[b.Variable(1)];
        }, typeof(ArgumentException), "Gradients", "not from the tape");
        yield return new("scalar: vector–Jacobian product with one seed too few", () =>
        {
            using var tape = new Tape();
            Scalar x = tape.Variable(1);
            _ = tape.Backward([x * 2.0, x * 3.0], [1.0]);
        }, typeof(ArgumentException), "2 outputs but 1 seeds", "one seed per output");
        yield return new("scalar: gradient destination of the wrong length", () =>
        {
            using var tape = new Tape();
            Scalar x = tape.Variable(1);
            tape.Gradient(x * x, [x], new double[2]);
        }, typeof(ArgumentException), "destination has length 2", "1 variables");
        yield return new("scalar: one name per value", () =>
        {
            using var tape = new Tape();
            _ = tape.Variables([1.0, 2.0], ["a"]);
        }, typeof(ArgumentException), "1 names for 2 values", "one name per value");
        yield return new("toScalar: more than one element", () =>
        {
            using var tape = new Tape();
            _ = M(1, 2).ToScalar();
        }, typeof(ArgumentException), "ToScalar", "only a one-element tensor");
        yield return new("toScalar: no tape", () => _ = Tensor.Ones<double>(1).ToScalar(), typeof(InvalidOperationException),
            "ToScalar", "create one first");
        yield return new("fromScalars: scalars of two tapes", () =>
        {
            using var a = new Tape();
            Scalar x = a.Variable(1);
            using var b = new Tape();
            _ = Tensor.FromScalars<double>([x, b.Variable(2)], 2);
        }, typeof(InvalidOperationException), "FromScalars", "another tape", "one tape");
        yield return new("mixed tape: createGraph", () =>
        {
            using var tape = new Tape();
            Tensor<double> x = Tracked(1);
            Scalar s = x.Sum().ToScalar();
            Tensor<double> y = Tensor.FromScalars<double>([s * s], 1);
            _ = tape.Gradient(y.Sum(), [x], createGraph: true);
        }, typeof(NotSupportedException), "createGraph");

        yield return new("scalar: recorded gradient on a tape that mixes in tensors", () =>
        {
            using var tape = new Tape();
            Scalar s = Tracked(1).Sum().ToScalar();
            _ = tape.RecordedGradient(s * s, s);
        }, typeof(NotSupportedException), "RecordedGradient");
        yield return new("scalar: Hessian of a scalar recorded before a reset", () =>
        {
            using var tape = new Tape();
            Scalar x = tape.Variable(1);
            Scalar y = x * x;
            tape.Reset();
            _ = tape.Hessian(y, x);
        }, typeof(InvalidOperationException), "RecordedGradient", "before the tape was reset");

        // ---- anomalies and threads -----------------------------------------------------------------------------
        yield return new("anomaly mode: log of a negative number", () =>
        {
            using var tape = new Tape { DetectAnomalies = true };
            _ = Tracked(2).Neg().Log();
        }, typeof(AnomalyException), "forward pass", "'Log'", "inputs ([2])", "NaN");
    }

    [TestCaseSource(nameof(Cases))]
    public void Misuse_raises_the_specific_exception_with_a_message_that_says_what_and_how(Misuse misuse)
        => MisuseCatalogue.AssertRaises(misuse.Name, misuse.Act, misuse.Expected, misuse.Says);

    [Test]
    public void The_catalogue_has_distinct_cases() => MisuseCatalogue.AssertDistinct(Cases().Select(c => c.Name), atLeast: 50);
}
