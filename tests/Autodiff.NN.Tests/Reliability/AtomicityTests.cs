using Autodiff.NN.Optim;
using Autodiff.NN.Serialization;
using Autodiff.NN.Tests.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.NN.Tests.Reliability;

/// <summary>
/// A rejected call changes nothing: each mutating API is given a bad input at a position FsCheck picks (a gradient of
/// the wrong shape, a tensor recycled by a tape's Reset()), and the state afterwards equals the state before — for an
/// optimiser including its hidden state, checked by the next good step agreeing with a twin that never saw the failure.
/// </summary>
[TestFixture]
public sealed class AtomicityTests
{
    public static IEnumerable<string> Optimizers => ["SGD", "SGD momentum", "Adam", "AdamW", "RMSprop"];

    private static Optimizer Make(string kind, IEnumerable<Tensor<float>> parameters) => kind switch
    {
        "SGD" => new SGD(parameters, 0.1),
        "SGD momentum" => new SGD(parameters, 0.1, momentum: 0.9),
        "Adam" => new Adam(parameters, 0.01),
        "AdamW" => new AdamW(parameters, 0.01),
        _ => new RMSprop(parameters, 0.01),
    };

    private static Tensor<float>[] Parameters(int count, int seed)
        => [.. Enumerable.Range(0, count).Select(i => Tensor.RandomNormal<float>([i + 2, 3], seed: seed + i).RequiresGrad())];

    private static void SetGradients(Tensor<float>[] parameters, int seed)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i].Grad = Tensor.RandomNormal<float>(parameters[i].ShapeArray(), seed: seed + 100 + i);
        }
    }

    /// <summary>A tensor that throws when read: made on a tape that has been reset since.</summary>
    private static Tensor<float> Recycled(int[] shape)
    {
        Tensor<float> leaf = Tensor.Ones<float>(shape).RequiresGrad();
        using var tape = new Tape();
        Tensor<float> made = leaf.Mul(2f);
        tape.Reset();
        return made;
    }

    [TestCaseSource(nameof(Optimizers))]
    public void A_step_that_throws_moves_no_parameter_and_no_state(string kind)
    {
        Property property = Prop.ForAll(Gen.Choose(2, 5).SelectMany(n => Gen.Choose(0, n - 1).Select(k => (n, k))).ToArbitrary(), c =>
        {
            (int n, int bad) = c;
            Tensor<float>[] ours = Parameters(n, 1), twin = Parameters(n, 1);
            Optimizer optimizer = Make(kind, ours), reference = Make(kind, twin);
            SetGradients(ours, 3);
            SetGradients(twin, 3);
            optimizer.Step();
            reference.Step();                                                      // both have state now
            float[][] before = [.. ours.Select(p => p.ToArray())];
            SetGradients(ours, 5);
            ours[bad].Grad = c.k % 2 == 0 ? Tensor.Zeros<float>(1) : Recycled(ours[bad].ShapeArray());
            bool threw = false;
            try
            {
                optimizer.Step();
            }
            catch (InvalidOperationException)
            {
                threw = true;
            }

            bool unchanged = ours.Select(p => p.ToArray()).Zip(before).All(z => z.First.SequenceEqual(z.Second));
            SetGradients(ours, 5);
            SetGradients(twin, 5);
            optimizer.Step();
            reference.Step();
            bool sameNext = ours.Zip(twin).All(z => z.First.ToArray().SequenceEqual(z.Second.ToArray()));
            return (threw && unchanged && sameNext).Label($"{kind}, {n} parameters, bad at {bad}: threw {threw}, unchanged {unchanged}, next step as the twin's {sameNext}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property);
    }

    [Test]
    public void An_optimiser_refuses_a_non_leaf_and_a_tensor_that_does_not_require_grad()
    {
        Tensor<float> leaf = Tensor.Ones<float>(2).RequiresGrad();
        using var tape = new Tape();
        var nonLeaf = Assert.Throws<ArgumentException>(() => _ = new SGD([leaf.Mul(0.01f)], 0.1));
        Assert.That(nonLeaf!.Message, Does.Contain("can't optimize a non-leaf tensor").And.Contain("Detach().RequiresGrad()"));
        var plain = Assert.Throws<ArgumentException>(() => _ = new Adam([Tensor.Ones<float>(3)], 0.1));
        Assert.That(plain!.Message, Does.Contain("does not require grad").And.Contain("RequiresGrad()"));
    }

    [Test]
    public void A_state_dict_that_is_rejected_copies_nothing()
    {
        Property property = Prop.ForAll(Gen.Choose(0, 3).SelectMany(k => Gen.Elements(true, false).Select(recycled => (k, recycled))).ToArbitrary(), c =>
        {
            var model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
            var source = new Sequential(new Linear(3, 4, seed: 9), new ReLU(), new Linear(4, 2, seed: 10));
            var dict = source.StateDict();
            string key = dict.Keys.ElementAt(c.k);
            dict[key] = c.recycled ? Recycled(dict[key].ShapeArray()) : Tensor.Zeros<float>(7);
            float[][] before = [.. model.Parameters().Select(p => p.ToArray())];
            bool threw = false;
            try
            {
                model.LoadStateDict(dict);
            }
            catch (ArgumentException)
            {
                threw = true;
            }

            bool unchanged = model.Parameters().Select(p => p.ToArray()).Zip(before).All(z => z.First.SequenceEqual(z.Second));
            return (threw && unchanged).Label($"bad '{key}' (recycled {c.recycled}): threw {threw}, unchanged {unchanged}");
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20), property);
    }

    [Test]
    public void A_save_that_fails_leaves_the_existing_file_as_it_was()
    {
        using var dir = new TempDirectory();
        string path = dir.File("weights.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor<float>> { ["w"] = Tensor.Ones<float>(4) });
        byte[] before = File.ReadAllBytes(path);
        for (int bad = 0; bad < 3; bad++)
        {
            var tensors = new Dictionary<string, Tensor<float>> { ["a"] = Tensor.Ones<float>(2), ["b"] = Tensor.Ones<float>(3), ["c"] = Tensor.Ones<float>(5) };
            tensors[tensors.Keys.ElementAt(bad)] = Recycled([2]);
            Assert.Throws<InvalidOperationException>(() => SafeTensors.Save(path, tensors));
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(before), $"bad tensor {bad}");
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1), "no temporary file left behind");
        }
    }

    [Test]
    public void Clipping_that_throws_scales_no_gradient()
    {
        Tensor<float>[] parameters = Parameters(3, 4);
        SetGradients(parameters, 6);
        float[][] before = [.. parameters.Select(p => p.Grad!.ToArray())];
        parameters[2].Grad = Recycled([4, 3]);
        Assert.Throws<InvalidOperationException>(() => ClipGrad.ClipGradNorm(parameters, 1e-3));
        Assert.That(parameters[..2].Select(p => p.Grad!.ToArray()), Is.EqualTo(before[..2]));
    }
}
