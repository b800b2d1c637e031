using Autodiff.NN.Optim;

namespace Autodiff.NN.Tests;

/// <summary>
/// <see cref="Sequential.CheckpointEvery"/>: a checkpointed stack trains to the same bits as the plain one — dropout
/// included, the transformer stack included — and holds less memory.
/// </summary>
[TestFixture]
public sealed class CheckpointingTests
{
    private static Sequential Mlp(int layers, int width)
    {
        var model = new Sequential();
        for (int i = 0; i < layers; i++)
        {
            model.Add(new Linear(width, width, seed: 10 + i)).Add(new ReLU()).Add(new Dropout(0.2, seed: 100 + i));
        }

        return model;
    }

    /// <summary>Three SGD steps of <paramref name="model"/>; the losses, then every parameter's last gradient and value.</summary>
    private static float[][] Train(Module<Tensor<float>, Tensor<float>> model, Tensor<float> x)
    {
        var optimizer = new SGD(model.Parameters(), 0.05);
        var results = new List<float[]>();
        using var tape = new Tape();
        for (int step = 0; step < 3; step++)
        {
            tape.Reset();
            optimizer.ZeroGrad();
            Tensor<float> y = model.Call(x);
            Tensor<float> loss = y.Mul(y).Mean();
            results.Add([loss.Item()]);
            loss.Backward();
            results.AddRange(model.Parameters().Select(p => p.Grad!.ToArray()));
            optimizer.Step();
        }

        results.AddRange(model.Parameters().Select(p => p.ToArray()));
        return [.. results];
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(5)]
    public void A_checkpointed_mlp_with_dropout_trains_to_the_same_bits(int every)
    {
        Tensor<float> x = Tensor.RandomNormal<float>([8, 16], seed: 1);
        float[][] plain = Train(Mlp(8, 16), x);
        Sequential checkpointed = Mlp(8, 16);
        checkpointed.CheckpointEvery = every;
        Assert.That(Train(checkpointed, x), Is.EqualTo(plain));
    }

    [Test]
    public void A_checkpointed_transformer_stack_trains_to_the_same_bits()
    {
        static Sequential Stack() => new(Enumerable.Range(0, 4).Select(i =>
            (Module<Tensor<float>, Tensor<float>>)new TransformerEncoderLayer(16, 2, 32, dropout: 0.1, normFirst: true, causal: true, seed: 7 * (i + 1))));
        Tensor<float> x = Tensor.RandomNormal<float>([2, 6, 16], seed: 2);
        float[][] plain = Train(Stack(), x);
        Sequential checkpointed = Stack();
        checkpointed.CheckpointEvery = 2;
        Assert.That(Train(checkpointed, x), Is.EqualTo(plain));
    }

    [Test]
    public void The_tape_holds_less_with_segments_of_about_the_square_root_of_the_depth()
    {
        // 24 layers of Linear + Tanh at width 256, batch 64: the elements the tape holds after a step, by segment length.
        var model = new Sequential();
        for (int i = 0; i < 24; i++)
        {
            model.Add(new Linear(256, 256, seed: i)).Add(new Tanh());
        }

        Tensor<float> x = Tensor.RandomNormal<float>([64, 256], seed: 3);
        var held = new Dictionary<int, long>();
        foreach (int every in new[] { 0, 2, 4, 6, 8, 10, 16, 24 })
        {
            model.CheckpointEvery = every;
            model.ZeroGrad();
            using var tape = new Tape();
            model.Call(x).Sum().Backward();
            held[every] = tape.PooledElements;
            TestContext.Out.WriteLine($"modules per segment {every,2}: {tape.PooledElements * sizeof(float) / 1024.0 / 1024.0:F2} MiB held by the tape");
        }

        // U-shaped: short segments keep many inputs, long ones many activations when they re-run; the least lies
        // between (where n/k inputs plus k modules' activations is smallest, k near √n for n = 48 modules).
        int best = held.Where(h => h.Key > 0).MinBy(h => h.Value).Key;
        Assert.That(best, Is.InRange(4, 10), "the least memory at segments of about √48 modules");
        Assert.That(held[best], Is.LessThan(held[2]).And.LessThan(held[24]));
        Assert.That(held[best], Is.LessThan(held[0] / 4), "a quarter of the plain step's memory or less");
    }

    [Test]
    public void A_negative_segment_length_is_refused()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new Sequential().CheckpointEvery = -1);
}
