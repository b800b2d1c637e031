using FsCheck;
using FsCheck.Fluent;
using static Autodiff.Testing.Generators;

namespace Autodiff.Tests.Tensors;

/// <summary>Convolution and pooling against hand-worked values and a naive reference; max pooling's tie rule.</summary>
[TestFixture]
public sealed class ConvolutionTests
{
    [Test]
    public void A_3x3_Sobel_kernel_on_a_ramp_gives_its_slope_and_zero_padding_changes_the_border()
    {
        // x[i, j] = 4i + j + 1 on a 4×4 image; the Sobel kernel [[1, 0, −1], [2, 0, −2], [1, 0, −1]] correlates to
        // Σ w·(4a + b) = −8 wherever the window lies inside (Σ w = 0, Σ w·a = 0, Σ w·b = 2·(−4)).
        Tensor<double> x = Tensor.Arange<double>(1, 17, 1).Reshape([1, 1, 4, 4]);
        Tensor<double> w = Tensor.FromArray<double>([1, 0, -1, 2, 0, -2, 1, 0, -1], [1, 1, 3, 3]);
        Tensor<double> y = Tensor.Conv2d(x, w, Tensor.FromArray<double>([0.5], [1]));
        Assert.That(y.ShapeArray(), Is.EqualTo(new[] { 1, 1, 2, 2 }));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { -7.5, -7.5, -7.5, -7.5 }));

        // With padding 1, output (0, 0) sees x[0, 1] = 2 under weight −2 and x[1, 1] = 6 under −1: −10.
        Tensor<double> padded = Tensor.Conv2d(x, w, padding: 1);
        Assert.That(padded.ShapeArray(), Is.EqualTo(new[] { 1, 1, 4, 4 }));
        Assert.That(padded[0, 0, 0, 0], Is.EqualTo(-10.0));
        Assert.That(padded[0, 0, 1, 1], Is.EqualTo(-8.0));
    }

    [Test]
    public void Conv2d_agrees_with_a_naive_loop_on_random_windows()
    {
        var cases = from n in Gen.Choose(1, 3)
                    from c in Gen.Choose(1, 4)
                    from o in Gen.Choose(1, 5)
                    from kh in Gen.Choose(1, 4)
                    from kw in Gen.Choose(1, 4)
                    from stride in Gen.Choose(1, 3)
                    from padding in Gen.Choose(0, 2)
                    from dilation in Gen.Choose(1, 3)
                    from h in Gen.Choose(Math.Max(1, (dilation * (kh - 1)) + 1 - (2 * padding)), 12)
                    from wd in Gen.Choose(Math.Max(1, (dilation * (kw - 1)) + 1 - (2 * padding)), 12)
                    from x in TensorOf([n, c, h, wd], Uniform(-1, 1))
                    from w in TensorOf([o, c, kh, kw], Uniform(-1, 1))
                    from b in TensorOf([o], Uniform(-1, 1))
                    select (x, w, b, stride, padding, dilation);
        Prop.ForAll(cases.ToArbitrary(), t =>
        {
            double[] expected = NaiveConv(t.x, t.w, t.b, t.stride, t.padding, t.dilation);
            double[] actual = Tensor.Conv2d(t.x, t.w, t.b, t.stride, t.padding, t.dilation).ToArray();
            return (expected.Length == actual.Length && expected.Zip(actual).All(p => Math.Abs(p.First - p.Second) < 1e-12)).Label(
                $"x {Format(t.x)}, w {Format(t.w)}, stride {t.stride}, padding {t.padding}, dilation {t.dilation}");
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void Large_unrecorded_batches_go_through_in_groups_with_the_same_result()
    {
        // 16 channels × 3×3 on 64×64: 144 × 4,096 columns per image, so unrecorded, one image per group; recorded
        // (the weight tracked on a tape), the whole batch at once.
        Tensor<float> x = Tensor.RandomNormal<float>([3, 16, 64, 64], seed: 5);
        Tensor<float> w = Tensor.RandomNormal<float>([8, 16, 3, 3], seed: 6);
        Tensor<float> b = Tensor.RandomNormal<float>([8], seed: 7);
        float[] grouped = Tensor.Conv2d(x, w, b, padding: 1).ToArray();
        float[] whole;
        using (var tape = new Tape())
        {
            whole = Tensor.Conv2d(x, w.Detach().RequiresGrad(), b, padding: 1).ToArray();
        }

        Assert.That(grouped, Is.EqualTo(whole).Within(1e-4));
        Assert.That(grouped[(((2 * 8) + 7) * 4096) + 4095], Is.Not.EqualTo(0f), "the last image is there");
    }

    [Test]
    public void Results_and_gradients_do_not_depend_on_the_thread_count()
    {
        // Large enough that im2col, col2im, max pooling and batch norm split their loops over threads.
        Tensor<float> x = Tensor.RandomNormal<float>([8, 8, 32, 32], seed: 8);
        Tensor<float> w = Tensor.RandomNormal<float>([16, 8, 3, 3], seed: 9);
        Tensor<float> scale = Tensor.RandomUniform<float>([16], seed: 10, low: 0.5, high: 1.5);
        (float[] Y, float[] Dx, float[] Dw, float[] Ds) Run(int threads)
        {
            int saved = Parallelism.MaxThreads;
            Parallelism.MaxThreads = threads;
            try
            {
                Tensor<float> xs = x.Detach().RequiresGrad(), ws = w.Detach().RequiresGrad(), ss = scale.Detach().RequiresGrad();
                using var tape = new Tape();
                Tensor<float> y = Tensor.MaxPool2d(Tensor.BatchNorm(Tensor.Conv2d(xs, ws, padding: 1), null, null, ss, null, training: true), 2);
                y.Mul(y).Sum().Backward();
                return (y.ToArray(), xs.Grad!.ToArray(), ws.Grad!.ToArray(), ss.Grad!.ToArray());
            }
            finally
            {
                Parallelism.MaxThreads = saved;
            }
        }

        var one = Run(1);
        var two = Run(2);
        Assert.That(two.Y, Is.EqualTo(one.Y));
        Assert.That(two.Dx, Is.EqualTo(one.Dx).Within(1e-4));
        Assert.That(two.Dw, Is.EqualTo(one.Dw).Within(1e-2), "sums over 8·32·32 products; GEMM blocking may differ");
        Assert.That(two.Ds, Is.EqualTo(one.Ds).Within(1e-2));
    }

    [Test]
    public void Float_convolution_matches_double_and_its_gradients_accumulate_into_the_weights()
    {
        Tensor<double> xd = Tensor.RandomNormal<double>([2, 3, 9, 7], seed: 1);
        Tensor<double> wd = Tensor.RandomNormal<double>([4, 3, 3, 3], seed: 2);
        Tensor<float> xf = Tensor.FromArray<float>(xd.ToArray().Select(v => (float)v).ToArray(), [2, 3, 9, 7]);
        Tensor<float> wf = Tensor.FromArray<float>(wd.ToArray().Select(v => (float)v).ToArray(), [4, 3, 3, 3]).RequiresGrad();
        Tensor<double> wdTracked = wd.Detach().RequiresGrad();
        for (int pass = 0; pass < 2; pass++)
        {
            using var tape = new Tape();
            Tensor.Conv2d(xf, wf, stride: 2, padding: 1).Pow(2.0f).Sum().Backward();
            Tensor.Conv2d(xd, wdTracked, stride: 2, padding: 1).Pow(2.0f).Sum().Backward();
        }

        double[] expected = wdTracked.Grad!.ToArray();
        float[] actual = wf.Grad!.ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-3 * Math.Max(1, Math.Abs(expected[i]))), $"dW[{i}]");
        }

        using (var tape = new Tape())
        {
            Tensor<double> once = tape.Gradient(Tensor.Conv2d(xd, wdTracked, stride: 2, padding: 1).Pow(2.0f).Sum(), [wdTracked])[0];
            Assert.That(expected, Is.EqualTo(once.Mul(2.0).ToArray()).Within(1e-9), "two Backward() calls add up");
        }
    }

    [Test]
    public void Conv2d_writes_its_weight_gradient_into_Grad_fresh_accumulating_and_after_ZeroGrad()
    {
        // In a plain Backward() dW goes straight into the leaf's .Grad (overwriting after ZeroGrad, adding otherwise);
        // tape.Gradient takes the ordinary path. The weight is used twice, so both writes must add up.
        Tensor<double> x = Tensor.RandomNormal<double>([3, 2, 6, 5], seed: 11).RequiresGrad();
        Tensor<double> w = Tensor.RandomNormal<double>([4, 2, 3, 2], seed: 12).RequiresGrad();
        Tensor<double> b = Tensor.RandomNormal<double>([4], seed: 13).RequiresGrad();
        Tensor<double> Loss()
        {
            Tensor<double> y = Tensor.Conv2d(x, w, b, stride: 2, padding: 1);
            return y.Mul(y.Detach().Sin().Add(1.5)).Sum().Add(Tensor.Conv2d(x.Mul(-1.0), w, null, dilation: 2).Sum());
        }

        using var tape = new Tape();
        double[][] once = tape.Gradient(Loss(), [x, w, b]).Select(t => t.ToArray()).ToArray();
        void Expect(string when, double factor)
        {
            Tensor<double>[] grads = [x.Grad!, w.Grad!, b.Grad!];
            for (int i = 0; i < 3; i++)
            {
                Assert.That(grads[i].ToArray(), Is.EqualTo(once[i].Select(v => v * factor)).Within(1e-12), $"{when}: gradient {i}");
            }
        }

        tape.Reset();
        Loss().Backward();
        Expect("first backward", 1);
        tape.Reset();
        Loss().Backward();
        Expect("second backward (accumulating)", 2);
        x.ZeroGrad();
        w.ZeroGrad();
        b.ZeroGrad();
        tape.Reset();
        Loss().Backward();
        Expect("after ZeroGrad (overwriting)", 1);
    }

    [Test]
    public void Max_pooling_sends_the_gradient_to_the_first_arg_max_of_a_tie()
    {
        // One 2×2 window with ties: all equal → element 0; 5 at positions 1 and 3 → position 1 (row-major order).
        Assert.That(MaxPoolGradient([1, 1, 1, 1], [1, 1, 2, 2], 2, 2), Is.EqualTo(new[] { 1.0, 0, 0, 0 }));
        Assert.That(MaxPoolGradient([0, 5, 1, 5], [1, 1, 2, 2], 2, 2), Is.EqualTo(new[] { 0.0, 1, 0, 0 }));

        // Overlapping windows (kernel 2, stride 1 on a 1×4 row padded to 2 rows): both windows holding the shared 9
        // route to it, and the gradient adds up there.
        Assert.That(MaxPoolGradient([1, 9, 3, 2, 0, 9, 3, 2], [1, 1, 2, 4], 2, 1), Is.EqualTo(new[] { 0.0, 2, 1, 0, 0, 0, 0, 0 }));
    }

    [TestCase(2, 2, 1)]
    [TestCase(3, 1, 1)]
    [TestCase(3, 2, 2)]
    [TestCase(2, 3, 1)]
    public void The_vectorised_float_path_of_max_pooling_agrees_with_the_general_loop_on_ties(int kernel, int stride, int dilation)
    {
        // Small integers: many ties inside windows. Float without padding or NaN takes the vectorised path, double the
        // general loop; values and the positions the gradient goes to must be the same.
        var random = new Random(kernel * 100 + stride * 10 + dilation);
        double[] values = Enumerable.Range(0, 3 * 4 * 13 * 11).Select(_ => (double)random.Next(4)).ToArray();
        Tensor<double> xd = Tensor.FromArray<double>(values, [3, 4, 13, 11]).RequiresGrad();
        Tensor<float> xf = Tensor.FromArray<float>(values.Select(v => (float)v).ToArray(), [3, 4, 13, 11]).RequiresGrad();
        Tensor<double> weights = Tensor.RandomUniform<double>(Tensor.MaxPool2d(xd, kernel, stride, 0, dilation).ShapeArray(), seed: 1, low: 0.5, high: 1.5);
        Tensor<float> weightsF = Tensor.FromArray<float>(weights.ToArray().Select(v => (float)v).ToArray(), weights.ShapeArray());
        using (var tape = new Tape())
        {
            Tensor<double> yd = Tensor.MaxPool2d(xd, kernel, stride, 0, dilation);
            Tensor<float> yf = Tensor.MaxPool2d(xf, kernel, stride, 0, dilation);
            Assert.That(yf.ToArray().Select(v => (double)v), Is.EqualTo(yd.ToArray()));
            yd.Mul(weights).Sum().Backward();
            yf.Mul(weightsF).Sum().Backward();
        }

        Assert.That(xf.Grad!.ToArray().Select(v => (double)v), Is.EqualTo(xd.Grad!.ToArray()).Within(1e-4), "float sums of up to nine weights");
    }

    [Test]
    public void Max_and_average_pooling_give_the_hand_worked_values()
    {
        // 4×4 image 1 … 16, kernel 2, stride 2: maxima 6, 8, 14, 16; means 3.5, 5.5, 11.5, 13.5.
        Tensor<double> x = Tensor.Arange<double>(1, 17, 1).Reshape([1, 1, 4, 4]);
        Assert.That(Tensor.MaxPool2d(x, 2).ToArray(), Is.EqualTo(new[] { 6.0, 8, 14, 16 }));
        Assert.That(Tensor.AvgPool2d(x, 2).ToArray(), Is.EqualTo(new[] { 3.5, 5.5, 11.5, 13.5 }));

        // Kernel 3, stride 2, padding 1: the corner window holds 1, 2, 5, 6 and five zeros of padding (PyTorch's
        // count_include_pad) → 14/9; max pooling pads with −∞, so its corner is 6.
        Assert.That(Tensor.AvgPool2d(x, 3, stride: 2, padding: 1)[0, 0, 0, 0], Is.EqualTo(14.0 / 9).Within(1e-15));
        Assert.That(Tensor.MaxPool2d(x, 3, stride: 2, padding: 1).ToArray(), Is.EqualTo(new[] { 6.0, 8, 14, 16 }));
        Assert.That(Tensor.MaxPool2d(x.Neg(), 3, stride: 2, padding: 1)[0, 0, 0, 0], Is.EqualTo(-1.0), "padding is −∞, not 0");
    }

    [Test]
    public void Fold_is_the_adjoint_of_Unfold()
    {
        // ⟨Unfold(x), c⟩ = ⟨x, Fold(c)⟩ for any x and c.
        Tensor<double> x = Tensor.RandomNormal<double>([2, 3, 7, 6], seed: 3);
        Tensor<double> cols = Tensor.Unfold(x, 3, 2, stride: 2, padding: 1, dilation: 2);
        Tensor<double> c = Tensor.RandomNormal<double>(cols.ShapeArray(), seed: 4);
        double left = cols.Mul(c).Sum().Item(), right = x.Mul(Tensor.Fold(c, 7, 6, 3, 2, stride: 2, padding: 1, dilation: 2)).Sum().Item();
        Assert.That(left, Is.EqualTo(right).Within(1e-12));
    }

    [Test]
    public void Bad_shapes_and_windows_are_reported_with_the_op_and_the_shapes()
    {
        Tensor<float> x = Tensor.Zeros<float>(2, 3, 5, 5);
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Zeros<float>(4, 2, 3, 3)))!.Message,
            Does.Contain("Conv2d").And.Contain("[2, 3, 5, 5]").And.Contain("[4, 2, 3, 3]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Zeros<float>(4, 3, 7, 7)))!.Message,
            Does.Contain("Conv2d").And.Contain("[2, 3, 5, 5]").And.Contain("kernel 7×7"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Zeros<float>(4, 3, 3, 3), stride: 0))!.Message, Does.Contain("stride 0"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(Tensor.Zeros<float>(3, 5, 5), 2))!.Message, Does.Contain("MaxPool2d").And.Contain("[3, 5, 5]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(x, 2, padding: 2))!.Message, Does.Contain("padding 2"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Fold(Tensor.Zeros<float>(1, 5, 9), 4, 4, 2, 2))!.Message, Does.Contain("Fold").And.Contain("[1, 5, 9]"));
    }

    private static double[] MaxPoolGradient(double[] values, int[] shape, int kernel, int stride)
    {
        Tensor<double> x = Tensor.FromArray<double>(values, shape).RequiresGrad();
        using var tape = new Tape();
        Tensor.MaxPool2d(x, kernel, stride).Sum().Backward();
        return x.Grad!.ToArray();
    }

    private static double[] NaiveConv(Tensor<double> x, Tensor<double> w, Tensor<double> b, int stride, int padding, int dilation)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3], o = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        int oh = ((h + (2 * padding) - (dilation * (kh - 1)) - 1) / stride) + 1, ow = ((wd + (2 * padding) - (dilation * (kw - 1)) - 1) / stride) + 1;
        var y = new List<double>();
        for (int i = 0; i < n; i++)
        {
            for (int f = 0; f < o; f++)
            {
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double sum = b[f];
                        for (int ch = 0; ch < c; ch++)
                        {
                            for (int a = 0; a < kh; a++)
                            {
                                for (int bb = 0; bb < kw; bb++)
                                {
                                    int iy = (oy * stride) - padding + (a * dilation), ix = (ox * stride) - padding + (bb * dilation);
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
                                    {
                                        sum += w[f, ch, a, bb] * x[i, ch, iy, ix];
                                    }
                                }
                            }
                        }

                        y.Add(sum);
                    }
                }
            }
        }

        return [.. y];
    }

    private static string Format(Tensor<double> t) => "[" + string.Join(",", t.ShapeArray()) + "]";
}
