using FsCheck;
using FsCheck.Fluent;
using static Autodiff.Testing.Generators;

namespace Autodiff.Tests.Tensors;

/// <summary>
/// One row per differentiable tensor op: the methods it exercises, how to call it, and a generator of inputs
/// (random shapes with size-1 dimensions and broadcasting; values kept away from kinks and ties).
/// </summary>
public sealed record TensorOpCase(string Name, string[] Covers, Func<Tensor<double>[], Tensor<double>> Forward, Gen<Tensor<double>[]> Inputs)
{
    public override string ToString() => Name;
}

public static class TensorOpTable
{
    private static TensorOpCase Row(string name, Func<Tensor<double>[], Tensor<double>> f, Gen<Tensor<double>[]> inputs, params string[] covers)
        => new(name, covers.Length == 0 ? [name] : covers, f, inputs);

    private static Gen<Tensor<double>[]> Unary(double lo, double hi, int minRank = 0) => One(TensorOf(Shape(minRank), Uniform(lo, hi)));

    private static Gen<Tensor<double>[]> UnaryAway(double lo, double hi) => One(TensorOf(Shape(), AwayFromZero(lo, hi)));

    /// <summary>A tensor of rank ≥ 1 with a random axis (as a negative index half of the time).</summary>
    private static Gen<(Tensor<double> X, int Axis)> WithAxis(int minRank = 1)
        => from x in TensorOf(Shape(minRank), Uniform(-3, 3))
           from axis in Gen.Choose(0, x.Rank - 1)
           from negative in Gen.Elements(false, true)
           select (x, negative ? axis - x.Rank : axis);

    /// <summary>Tensors with all pairwise differences above 1e-3 after broadcasting: no ties for max/min.</summary>
    private static Gen<Tensor<double>[]> NoTies()
        => BroadcastTwo(Uniform(-3, 3), Uniform(-3, 3)).Where(p => p[0].Detach().Sub(p[1].Detach()).Abs().Span.ToArray().All(d => d > 1e-3));

    /// <summary>Operand shapes for every matmul case: 1-D·1-D, 1-D·2-D, 2-D·1-D, 2-D·2-D, batched 3-D and 4-D (with broadcasts on either side).</summary>
    private static Gen<Tensor<double>[]> MatMulOperands()
        => from m in Gen.Choose(1, 5)
           from k in Gen.Choose(1, 5)
           from n in Gen.Choose(1, 5)
           from batch in Gen.Choose(1, 3)
           from kind in Gen.Choose(0, 9)
           let shapes = kind switch
           {
               7 => (new[] { 2, batch, m, k }, new[] { 2, batch, k, n }),          // [B, H, T, D] · [B, H, D, T]
               8 => (new[] { 2, 1, m, k }, new[] { batch, k, n }),                // broadcast on both sides
               9 => (new[] { batch, 2, m, k }, new[] { k }),                       // N-D · 1-D
               0 => (new[] { k }, new[] { k }),
               1 => (new[] { k }, new[] { k, n }),
               2 => (new[] { m, k }, new[] { k }),
               3 => (new[] { m, k }, new[] { k, n }),
               4 => (new[] { batch, m, k }, new[] { batch, k, n }),
               5 => (new[] { batch, m, k }, new[] { k, n }),
               _ => (new[] { 1, m, k }, new[] { batch, k, n }),
           }
           from a in TensorOf(shapes.Item1, Uniform(-2, 2))
           from b in TensorOf(shapes.Item2, Uniform(-2, 2))
           select new[] { a, b };

    /// <summary>q, k, v of [*, T, D] shapes (rank 2 to 4), T from <paramref name="minT"/> to <paramref name="maxT"/>.</summary>
    private static Gen<Tensor<double>[]> AttentionInputs(int minT = 1, int maxT = 5)
        => from rank in Gen.Choose(2, 4)
           from batch in Gen.ArrayOf(Gen.Choose(1, 2), rank - 2)
           from tq in Gen.Choose(minT, maxT)
           from tk in Gen.Choose(minT, maxT)
           from d in Gen.Choose(1, 3)
           from dv in Gen.Choose(1, 3)
           from q in TensorOf([.. batch, tq, d], Uniform(-1.5, 1.5))
           from k in TensorOf([.. batch, tk, d], Uniform(-1.5, 1.5))
           from v in TensorOf([.. batch, tk, dv], Uniform(-2, 2))
           select new[] { q, k, v };

    /// <summary>
    /// Masks are constants of the case (the op does not differentiate its mask): an additive [Tq, Tk] pattern, or a
    /// key-padding mask [*, 1, Tk] of −∞ after the first ⌈Tk/2⌉ keys (every query keeps one).
    /// </summary>
    private static Tensor<double> AdditiveMask(Tensor<double> q, Tensor<double> k)
    {
        int tq = q.Shape[^2], tk = k.Shape[^2];
        return Tensor.FromArray<double>(Enumerable.Range(0, tq * tk).Select(i => Math.Cos(1.7 * i)).ToArray()).Reshape([tq, tk]);
    }

    private static Tensor<double> PaddingMask(Tensor<double> k)
    {
        int tk = k.Shape[^2];
        return Tensor.FromArray<double>(Enumerable.Range(0, tk).Select(j => j < (tk + 1) / 2 ? 0.0 : double.NegativeInfinity).ToArray())
            .Reshape([.. Enumerable.Repeat(1, k.Rank - 1), tk]);
    }

    /// <summary>
    /// Integer options (kernel, stride, …) travel as an extra input tensor so that each generated case carries its
    /// own; rounded, so that the checks' small perturbations of that input change nothing (its gradient is 0).
    /// </summary>
    private static int Option(Tensor<double> options, int i) => (int)Math.Round(options.Span[i]);

    /// <summary>A window (kernel, stride, padding, dilation) and an [N, C, H, W] shape it fits, the image small enough for full Jacobians.</summary>
    private static Gen<(int[] Shape, int Kh, int Kw, int Stride, int Padding, int Dilation)> Window(bool square = false, int maxPadding = 2)
        => from n in Gen.Choose(1, 2)
           from c in Gen.Choose(1, 3)
           from kh in Gen.Choose(1, 3)
           from kw0 in Gen.Choose(1, 3)
           let kw = square ? kh : kw0
           from stride in Gen.Choose(1, 3)
           from padding in Gen.Choose(0, Math.Min(maxPadding, square ? kh / 2 : maxPadding))
           from dilation in Gen.Choose(1, 2)
           from extraH in Gen.Choose(0, 3)
           from extraW in Gen.Choose(0, 3)
           let h = Math.Max(1, (dilation * (kh - 1)) + 1 - (2 * padding)) + extraH
           let w = Math.Max(1, (dilation * (kw - 1)) + 1 - (2 * padding)) + extraW
           select (new[] { n, c, h, w }, kh, kw, stride, padding, dilation);

    /// <summary>Values 0.02 apart in a random order: no ties, so each max-pooling window has one arg max.</summary>
    private static Gen<Tensor<double>> Distinct(int[] shape)
        => Gen.ArrayOf(Gen.Choose(0, 1 << 30), shape.Aggregate(1, (a, b) => a * b)).Select(keys =>
        {
            int[] order = Enumerable.Range(0, keys.Length).OrderBy(i => keys[i]).ThenBy(i => i).ToArray();
            double[] values = new double[keys.Length];
            for (int rank = 0; rank < order.Length; rank++)
            {
                values[order[rank]] = (rank * 0.02) - 1.0;
            }

            return Tensor.FromArray<double>(values, shape);
        });

    /// <summary>[N, C, *] with N·(size of *) ≥ 2, and per-channel weight and bias.</summary>
    private static Gen<Tensor<double>[]> BatchNormInputs(bool affine)
        => from rank in Gen.Choose(2, 4)
           from n in Gen.Choose(rank == 2 ? 2 : 1, 4)
           from c in Gen.Choose(1, 3)
           from rest in Gen.ArrayOf(Gen.Choose(1, 3), rank - 2)
           where n * rest.Aggregate(1, (a, b) => a * b) >= 2
           from x in TensorOf([n, c, .. rest], Uniform(-3, 3))
           from w in TensorOf([c], AwayFromZero(0.5, 2))
           from b in TensorOf([c], Uniform(-1, 1))
           select affine ? new[] { x, w, b } : new[] { x };

    public static IReadOnlyList<TensorOpCase> All { get; } =
    [
        // Elementwise arithmetic with broadcasting
        Row("Add", x => x[0].Add(x[1]), BroadcastTwo(Uniform(-3, 3), Uniform(-3, 3))),
        Row("Add scalar", x => x[0].Add(1.5), Unary(-3, 3), "Add"),
        Row("Sub", x => x[0].Sub(x[1]), BroadcastTwo(Uniform(-3, 3), Uniform(-3, 3))),
        Row("RSub", x => x[0].RSub(2.0), Unary(-3, 3)),
        Row("Mul", x => x[0].Mul(x[1]), BroadcastTwo(Uniform(-3, 3), Uniform(-3, 3))),
        Row("Mul scalar", x => x[0] * -0.75, Unary(-3, 3), "Mul"),
        Row("Div", x => x[0].Div(x[1]), BroadcastTwo(Uniform(-3, 3), AwayFromZero(0.3, 3))),
        Row("RDiv", x => x[0].RDiv(2.0), UnaryAway(0.3, 3)),
        Row("Neg", x => x[0].Neg(), Unary(-3, 3)),
        Row("Pow scalar", x => x[0].Pow(2.5), Unary(0.1, 3), "Pow"),
        Row("Pow tensor", x => x[0].Pow(x[1]), BroadcastTwo(Uniform(0.2, 3), Uniform(-2, 2)), "Pow"),
        Row("Maximum", x => x[0].Maximum(x[1]), NoTies()),
        Row("Minimum", x => x[0].Minimum(x[1]), NoTies()),

        // Elementwise functions
        Row("Exp", x => x[0].Exp(), Unary(-5, 3)),
        Row("Log", x => x[0].Log(), Unary(0.1, 5)),
        Row("Sqrt", x => x[0].Sqrt(), Unary(0.1, 5)),
        Row("Sin", x => x[0].Sin(), Unary(-4, 4)),
        Row("Cos", x => x[0].Cos(), Unary(-4, 4)),
        Row("Abs", x => x[0].Abs(), UnaryAway(1e-3, 3)),
        Row("Tan", x => x[0].Tan(), Unary(-1.2, 1.2)),
        Row("Dropout", x => Tensor.Dropout(x[0], 0.4, seed: 3), Unary(-3, 3)),
        // A cast node (double to double here: the float casts round, which no finite difference can follow; CastTests has them).
        Row("ToDouble", x => x[0].ToDouble().Mul(1.5), Unary(-3, 3)),
        Row("Tanh", x => x[0].Tanh(), Unary(-4, 4)),
        Row("Sigmoid", x => x[0].Sigmoid(), Unary(-8, 8)),
        Row("Relu", x => x[0].Relu(), UnaryAway(1e-3, 3)),
        Row("LeakyRelu", x => x[0].LeakyRelu(0.2), UnaryAway(1e-3, 3)),
        Row("Gelu", x => x[0].Gelu(), Unary(-5, 5)),
        Row("Softplus", x => x[0].Softplus(), Unary(-20, 20)),
        Row("Clamp", x => x[0].Clamp(-1.0, 1.0), One(TensorOf(Shape(), Gen.OneOf(Uniform(-3, -1.01), Uniform(-0.99, 0.99), Uniform(1.01, 3))))),
        // The mask is derived from an input with |values| ≥ ½, so a finite-difference step cannot flip it.
        Row("Where", x => Tensor.Where(x[0].Gt(Tensor.ZerosLike(x[0])), x[1], x[2]),
            from p in BroadcastPair()
            from mask in TensorOf(p.A, AwayFromZero(0.5, 1))
            from a in TensorOf(p.A, Uniform(-3, 3))
            from b in TensorOf(p.B, Uniform(-3, 3))
            select new[] { mask, a, b }),

        // Linear algebra
        Row("MatMul", x => x[0].MatMul(x[1]), MatMulOperands()),
        Row("MatMulTransposed", x => x[0].MatMulTransposed(x[1]),
            from m in Gen.Choose(1, 5)
            from k in Gen.Choose(1, 5)
            from n in Gen.Choose(1, 5)
            from a in TensorOf([m, k], Uniform(-2, 2))
            from b in TensorOf([n, k], Uniform(-2, 2))
            select new[] { a, b }),
        Row("Linear", x => Tensor.Linear(x[0], x[1], x.Length > 2 ? x[2] : null),
            from m in Gen.Choose(1, 5)
            from k in Gen.Choose(1, 5)
            from n in Gen.Choose(1, 5)
            from withBias in Gen.Elements(true, false)
            from a in TensorOf([m, k], Uniform(-2, 2))
            from w in TensorOf([n, k], Uniform(-2, 2))
            from b in TensorOf([n], Uniform(-2, 2))
            select withBias ? new[] { a, w, b } : new[] { a, w }),
        // Through the scalar face and back on one tape: each element becomes a Scalar, scalar ops run, FromScalars regathers.
        Row("FromScalars", x =>
        {
            Tensor<double> flat = x[0].Reshape([-1]);
            Scalar[] scalars = Enumerable.Range(0, flat.Size).Select(i => Scalar.Sin(flat.Narrow(0, i, 1).ToScalar()) * (i + 2.0)).ToArray();
            return Tensor.FromScalars<double>(scalars, x[0].ShapeArray());
        }, Unary(-3, 3, minRank: 1)),
        Row("CrossEntropy", x => Tensor.CrossEntropy(x[0], Enumerable.Range(0, x[0].Shape[0]).Select(i => (i * 7) % x[0].Shape[1]).ToArray()),
            from n in Gen.Choose(1, 5)
            from c in Gen.Frequency((4, Gen.Choose(1, 6)), (1, Gen.Choose(32, 40))) // both kernels: short rows and long
            from logits in TensorOf([n, c], Uniform(-4, 4))
            select new[] { logits }),
        Row("CrossEntropyMean", x => Tensor.CrossEntropyMean(x[0], Enumerable.Range(0, x[0].Shape[0]).Select(i => (i * 5) % x[0].Shape[1]).ToArray()),
            from n in Gen.Choose(1, 5)
            from c in Gen.Frequency((4, Gen.Choose(1, 6)), (1, Gen.Choose(32, 40)))
            from logits in TensorOf([n, c], Uniform(-4, 4))
            select new[] { logits }),
        Row("Transpose", x => x[0].Transpose(), Unary(-3, 3, minRank: 2)),
        Row("Permute", x => x[0].Permute(Enumerable.Range(0, x[0].Rank).Reverse().ToArray()), Unary(-3, 3, minRank: 1)),

        // Shape
        Row("Reshape", x => x[0].Reshape([-1]), Unary(-3, 3)),
        Row("Squeeze", x => x[0].Squeeze(), Unary(-3, 3)),
        Row("Unsqueeze", x => x[0].Unsqueeze(0), Unary(-3, 3)),
        Row("BroadcastTo", x => x[0].BroadcastTo([2, .. x[0].Shape]), Unary(-3, 3)),
        Row("Narrow", x => x[0].Narrow(-1, x[0].Shape[^1] / 2, (x[0].Shape[^1] + 1) / 2), Unary(-3, 3, minRank: 1)),
        Row("Slice", x => x[0].Slice(-1, -x[0].Shape[^1] + (x[0].Shape[^1] > 1 ? 1 : 0), x[0].Shape[^1]), Unary(-3, 3, minRank: 1)),
        Row("Concat", x => Tensor.Concat([x[0], x[0].Mul(2.0), x[0].Exp()], axis: -1), Unary(-3, 3, minRank: 1)),
        Row("Stack", x => Tensor.Stack([x[0], x[0].Mul(-1.5)], axis: 0), Unary(-3, 3)),
        Row("IndexSelect", x => x[0].IndexSelect(-1, [x[0].Shape[^1] - 1, 0, 0]), Unary(-3, 3, minRank: 1)),
        Row("Gather", x => x[0].Gather(1, Enumerable.Range(0, x[0].Shape[0]).Select(i => i % x[0].Shape[1]).ToArray()), One(TensorOf(Shape(2, 2), Uniform(-3, 3)))),

        // Convolution and pooling (windows with stride, padding and dilation)
        Row("Conv2d", x => Tensor.Conv2d(x[0], x[1], x.Length > 3 ? x[2] : null, Option(x[^1], 0), Option(x[^1], 1), Option(x[^1], 2)),
            from win in Window()
            from o in Gen.Choose(1, 3)
            from withBias in Gen.Elements(true, false)
            from input in TensorOf(win.Shape, Uniform(-2, 2))
            from weight in TensorOf([o, win.Shape[1], win.Kh, win.Kw], Uniform(-2, 2))
            from bias in TensorOf([o], Uniform(-2, 2))
            let options = Tensor.FromArray<double>([win.Stride, win.Padding, win.Dilation], [3])
            select withBias ? new[] { input, weight, bias, options } : new[] { input, weight, options }),
        Row("Unfold", x => Tensor.Unfold(x[0], Option(x[1], 0), Option(x[1], 1), Option(x[1], 2), Option(x[1], 3), Option(x[1], 4)),
            from win in Window()
            from input in TensorOf(win.Shape, Uniform(-2, 2))
            select new[] { input, Tensor.FromArray<double>([win.Kh, win.Kw, win.Stride, win.Padding, win.Dilation], [5]) }),
        Row("Fold", x => Tensor.Fold(x[0], Option(x[1], 0), Option(x[1], 1), Option(x[1], 2), Option(x[1], 3), Option(x[1], 4), Option(x[1], 5), Option(x[1], 6)),
            from win in Window()
            let oh = (((win.Shape[2] + (2 * win.Padding) - (win.Dilation * (win.Kh - 1)) - 1) / win.Stride) + 1)
            let ow = (((win.Shape[3] + (2 * win.Padding) - (win.Dilation * (win.Kw - 1)) - 1) / win.Stride) + 1)
            from columns in TensorOf([win.Shape[0], win.Shape[1] * win.Kh * win.Kw, oh * ow], Uniform(-2, 2))
            select new[] { columns, Tensor.FromArray<double>([win.Shape[2], win.Shape[3], win.Kh, win.Kw, win.Stride, win.Padding, win.Dilation], [7]) }),
        Row("MaxPool2d", x => Tensor.MaxPool2d(x[0], Option(x[1], 0), Option(x[1], 1), Option(x[1], 2), Option(x[1], 3)),
            from win in Window(square: true)
            where win.Padding <= win.Kh / 2 && (win.Dilation == 1 || win.Padding == 0)
            from input in Distinct(win.Shape)
            select new[] { input, Tensor.FromArray<double>([win.Kh, win.Stride, win.Padding, win.Dilation], [4]) }),
        Row("AvgPool2d", x => Tensor.AvgPool2d(x[0], Option(x[1], 0), Option(x[1], 1), Option(x[1], 2)),
            from win in Window(square: true)
            where win.Dilation == 1
            from input in TensorOf(win.Shape, Uniform(-2, 2))
            select new[] { input, Tensor.FromArray<double>([win.Kh, win.Stride, win.Padding], [3]) }),
        Row("Flatten", x => x[0].Flatten(1), Unary(-3, 3, minRank: 2)),
        Row("Select", x => x[0].Select(-1, x[0].Shape[^1] - 1), Unary(-3, 3, minRank: 1)),
        Row("Split", x => Tensor.Concat(x[0].Split(2, -1).Select((p, i) => p.Mul(i + 1.0)).ToArray(), -1), Unary(-3, 3, minRank: 1)),
        Row("Chunk", x => Tensor.Concat(x[0].Chunk(3, 0).Select((p, i) => p.Mul(i - 1.5)).ToArray(), 0), Unary(-3, 3, minRank: 1)),

        // Masks
        Row("Tril", x => x[0].Tril(), Unary(-3, 3, minRank: 2)),
        Row("Tril offset", x => x[0].Tril(-1), Unary(-3, 3, minRank: 2), "Tril"),
        Row("Triu", x => x[0].Triu(1), Unary(-3, 3, minRank: 2)),
        // The mask comes from an input kept away from 0, so a finite-difference step cannot flip it.
        Row("MaskedFill", x => x[1].MaskedFill(x[0].Gt(Tensor.ZerosLike(x[0])), -2.5),
            from p in BroadcastPair()
            where p.A.Length <= p.B.Length && Enumerable.Range(0, p.A.Length).All(i => p.A[^(i + 1)] == 1 || p.A[^(i + 1)] == p.B[^(i + 1)])
            from mask in TensorOf(p.A, AwayFromZero(0.5, 1))
            from value in TensorOf(p.B, Uniform(-3, 3))
            select new[] { mask, value }),
        Row("Flatten all", x => x[0].Flatten(), Unary(-3, 3), "Flatten"),

        // Normalisation
        Row("BatchNorm training", x => Tensor.BatchNorm(x[0], null, null, x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null, training: true),
            Gen.OneOf(BatchNormInputs(affine: true), BatchNormInputs(affine: false)), "BatchNorm"),
        Row("BatchNorm eval", x => Tensor.BatchNorm(x[0], Tensor.FromArray<double>(Enumerable.Range(0, x[0].Shape[1]).Select(i => 0.3 * i).ToArray(), [x[0].Shape[1]]),
                Tensor.FromArray<double>(Enumerable.Range(0, x[0].Shape[1]).Select(i => 0.5 + i).ToArray(), [x[0].Shape[1]]), x[1], x[2], training: false),
            BatchNormInputs(affine: true), "BatchNorm"),

        Row("LayerNorm", x => Tensor.LayerNorm(x[0], x[0].Shape[^1..], x.Length > 1 ? x[1] : null, x.Length > 2 ? x[2] : null),
            from rank in Gen.Choose(1, 3)
            from shape in Gen.ArrayOf(Gen.Choose(1, 4), rank).Where(s => s[^1] > 1)
            from affine in Gen.Elements(true, false)
            from input in TensorOf(shape, Uniform(-3, 3))
            from w in TensorOf([shape[^1]], AwayFromZero(0.5, 2))
            from b in TensorOf([shape[^1]], Uniform(-1, 1))
            select affine ? new[] { input, w, b } : new[] { input }),
        Row("LayerNorm two axes", x => Tensor.LayerNorm(x[0], x[0].Shape[^2..], x[1], null),
            from shape in Gen.ArrayOf(Gen.Choose(1, 3), 3).Where(s => s[1] * s[2] > 1)
            from input in TensorOf(shape, Uniform(-3, 3))
            from w in TensorOf([shape[1], shape[2]], AwayFromZero(0.5, 2))
            select new[] { input, w }, "LayerNorm"),
        Row("RmsNorm", x => Tensor.RmsNorm(x[0], x[0].Shape[^1..], x.Length > 1 ? x[1] : null, 1e-5),
            from shape in Shape(1)
            from affine in Gen.Elements(true, false)
            from input in TensorOf(shape, AwayFromZero(0.2, 3))
            from w in TensorOf([shape[^1]], AwayFromZero(0.5, 2))
            select affine ? new[] { input, w } : new[] { input }),
        // Lookups repeat an index (duplicates accumulate); the padding row, which has no gradient by design, is in EmbeddingTests.
        Row("Embedding", x => Tensor.Embedding(x[0], [0, 2, 0, 1, x[0].Shape[0] - 1, 2], [2, 3]),
            from v in Gen.Choose(3, 5)
            from d in Gen.Choose(1, 4)
            from w in TensorOf([v, d], Uniform(-2, 2))
            select new[] { w }),

        // Attention
        Row("ScaledDotProductAttention", x => Tensor.ScaledDotProductAttention(x[0], x[1], x[2]), AttentionInputs()),
        Row("Attention additive mask", x => Tensor.ScaledDotProductAttention(x[0], x[1], x[2], AdditiveMask(x[0], x[1])), AttentionInputs(), "ScaledDotProductAttention"),
        Row("Attention key padding −∞", x => Tensor.ScaledDotProductAttention(x[0], x[1], x[2], PaddingMask(x[1])), AttentionInputs(), "ScaledDotProductAttention"),
        Row("Attention causal", x => Tensor.ScaledDotProductAttention(x[0], x[1], x[2], causal: true), AttentionInputs(), "ScaledDotProductAttention"),
        Row("Attention dropout", x => Tensor.ScaledDotProductAttention(x[0], x[1], x[2], dropout: 0.3, seed: 7, scale: 0.8), AttentionInputs(), "ScaledDotProductAttention"),
        // More queries than one strip of the kernel (64), so that strips meet.
        Row("Attention long", x => Tensor.ScaledDotProductAttention(x[0], x[1], x[2], causal: true),
            from tq in Gen.Choose(65, 70)
            from q in TensorOf([tq, 2], Uniform(-1, 1))
            from k in TensorOf([tq, 2], Uniform(-1, 1))
            from v in TensorOf([tq, 1], Uniform(-1, 1))
            select new[] { q, k, v }, "ScaledDotProductAttention"),

        // The fused LSTM recurrence over T steps: projected input, h₀, c₀ and W_hh all get gradients.
        Row("LstmRecurrence", x => Tensor.LstmRecurrence(x[0], x[1], x[2], x[3]),
            from t in Gen.Choose(1, 4)
            from b in Gen.Choose(1, 3)
            from h in Gen.Choose(1, 3)
            from p in TensorOf([t, b, 4 * h], Uniform(-1.5, 1.5))
            from h0 in TensorOf([b, h], Uniform(-1, 1))
            from c0 in TensorOf([b, h], Uniform(-1, 1))
            from w in TensorOf([4 * h, h], Uniform(-1, 1))
            select new[] { p, h0, c0, w }),
        // The fused GRU recurrence, with and without the hidden-side bias.
        Row("GruRecurrence", x => Tensor.GruRecurrence(x[0], x[1], x[2], x.Length > 3 ? x[3] : null),
            from t in Gen.Choose(1, 4)
            from b in Gen.Choose(1, 3)
            from h in Gen.Choose(1, 3)
            from bias in Gen.Elements(true, false)
            from p in TensorOf([t, b, 3 * h], Uniform(-1.5, 1.5))
            from h0 in TensorOf([b, h], Uniform(-1, 1))
            from w in TensorOf([3 * h, h], Uniform(-1, 1))
            from bh in TensorOf([3 * h], Uniform(-1, 1))
            select bias ? new[] { p, h0, w, bh } : new[] { p, h0, w }),
        // Reductions
        Row("Sum all", x => x[0].Sum(), Unary(-3, 3), "Sum"),
        Row("Sum axis keepDim", x => x[0].Sum(-1, keepDim: true), Unary(-3, 3, minRank: 1), "Sum"),
        Row("Mean axes", x => x[0].Mean([0, -1]), Unary(-3, 3, minRank: 2), "Mean"),
        Row("Max all", x => x[0].Max(), Unary(-3, 3), "Max"),
        Row("Max axis", x => x[0].Max(0, keepDim: false), Unary(-3, 3, minRank: 1), "Max"),
        Row("Min axis keepDim", x => x[0].Min(-1, keepDim: true), Unary(-3, 3, minRank: 1), "Min"),
        Row("LogSumExp", x => x[0].LogSumExp([-1]), Unary(-3, 3, minRank: 1)),
        Row("Var", x => x[0].Var([-1]), One(TensorOf(Shape(1).Where(s => s[^1] > 1), Uniform(-3, 3)))),
        Row("Var biased keepDim", x => x[0].Var(null, unbiased: false, keepDim: true), Unary(-3, 3, minRank: 1), "Var"),
        Row("Std", x => x[0].Std([0]), One(TensorOf(Shape(1).Where(s => s[0] > 1), Uniform(-3, 3)))),

        // Vector activations
        Row("Softmax", x => x[0].Softmax(), Unary(-3, 3, minRank: 1)),
        Row("Softmax axis", x => x[0].Softmax(0), Unary(-3, 3, minRank: 1), "Softmax"),
        Row("LogSoftmax", x => x[0].LogSoftmax(), Unary(-3, 3, minRank: 1)),
        Row("LogSoftmax axis", x => x[0].LogSoftmax(0), Unary(-3, 3, minRank: 1), "LogSoftmax"),
    ];

    /// <summary>Public tensor methods that are deliberately not differentiable or that only create tensors.</summary>
    public static readonly string[] NotDifferentiable =
    [
        "Eq", "Gt", "Lt", "Ge", "Le", "Sign", "ArgMax", "Detach", "Clone", "RequiresGrad", "ToArray", "ShapeArray", "Item", "MutableSpan",
        "ToString", "ZeroGrad", "Backward", "Zeros", "Ones", "Full", "Scalar", "Arange", "FromArray", "RandomNormal",
        "RandomUniform", "ZerosLike", "OnesLike", "Eye", "get_Grad", "set_Grad", "get_At",
    ];
}
