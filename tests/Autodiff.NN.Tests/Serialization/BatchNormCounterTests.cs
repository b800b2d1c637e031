using Autodiff.NN.Serialization;
using Autodiff.NN.Tests.Data;

namespace Autodiff.NN.Tests.Serialization;

/// <summary>
/// BatchNorm's <c>num_batches_tracked</c>: counted as PyTorch counts it, saved as int64 by <see cref="Module.Save"/>,
/// and optional when loading, as PyTorch's <c>load_state_dict</c> treats it.
/// </summary>
[TestFixture]
public sealed class BatchNormCounterTests
{
    [Test]
    public void The_counter_counts_training_batches_only()
    {
        var bn = new BatchNorm1d(3);
        Assert.That(bn.NumBatchesTracked!.Rank, Is.Zero, "a scalar, as PyTorch's");
        for (int i = 0; i < 3; i++)
        {
            bn.Forward(Tensor.RandomNormal<float>([4, 3], seed: i));
        }

        bn.Eval();
        bn.Forward(Tensor.RandomNormal<float>([4, 3], seed: 9));
        Assert.That(bn.NumBatchesTracked.Item(), Is.EqualTo(3f));
        Assert.That(new BatchNorm2d(2, trackRunningStats: false).NumBatchesTracked, Is.Null);
        Assert.That(new BatchNorm2d(2, trackRunningStats: false).StateDict().Keys, Is.EqualTo(new[] { "weight", "bias" }));
    }

    [Test]
    public void Save_stores_the_counter_as_int64_and_Load_brings_it_back()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bn.safetensors");
        var model = new Sequential(new Linear(3, 4, seed: 1), new BatchNorm1d(4));
        model.Forward(Tensor.RandomNormal<float>([5, 3], seed: 2));
        model.Forward(Tensor.RandomNormal<float>([5, 3], seed: 3));
        model.Save(path);

        Assert.That(SafeTensors.Describe(path).Select(e => $"{e.Name} {e.Dtype} [{string.Join(", ", e.Shape)}]"), Is.EqualTo(new[]
        {
            "0.weight F32 [4, 3]", "0.bias F32 [4]", "1.weight F32 [4]", "1.bias F32 [4]",
            "1.running_mean F32 [4]", "1.running_var F32 [4]", "1.num_batches_tracked I64 []",
        }));

        var other = new Sequential(new Linear(3, 4, seed: 7), new BatchNorm1d(4));
        Assert.That(other.Load(path).ToString(), Is.EqualTo("<All keys matched successfully>"));
        Assert.That(((BatchNorm)other[1]).NumBatchesTracked!.Item(), Is.EqualTo(2f));
        Assert.That(((BatchNorm)other[1]).RunningMean!.ToArray(), Is.EqualTo(((BatchNorm)model[1]).RunningMean!.ToArray()));
    }

    [Test]
    public void A_state_dict_without_the_counter_loads_strictly_and_leaves_the_count_alone()
    {
        var source = new BatchNorm2d(2);
        source.Forward(Tensor.RandomNormal<float>([3, 2, 2, 2], seed: 1));
        var state = source.StateDict();
        state.Remove("num_batches_tracked");

        var target = new BatchNorm2d(2);
        target.Forward(Tensor.RandomNormal<float>([3, 2, 2, 2], seed: 2));
        target.Forward(Tensor.RandomNormal<float>([3, 2, 2, 2], seed: 3));
        LoadStateDictResult result = target.LoadStateDict(state, strict: true);
        Assert.That(result.MissingKeys, Is.Empty, "PyTorch does not report it missing either");
        Assert.That(target.NumBatchesTracked!.Item(), Is.EqualTo(2f));
        Assert.That(target.RunningMean!.ToArray(), Is.EqualTo(source.RunningMean!.ToArray()));

        // Everything else stays required.
        state.Remove("running_var");
        Assert.That(Assert.Throws<ArgumentException>(() => target.LoadStateDict(state))!.Message, Does.Contain("missing keys: running_var [2]"));
    }
}
