namespace Autodiff.NN.Tests.Serialization;

/// <summary>A load result prints as PyTorch's does, not as a record of two List`1 objects.</summary>
[TestFixture]
public sealed class LoadStateDictResultTests
{
    [Test]
    public void A_full_match_prints_as_PyTorch_prints_it()
    {
        var model = new Linear(3, 2, seed: 1);
        LoadStateDictResult result = model.LoadStateDict(new Linear(3, 2, seed: 2).StateDict());
        Assert.That(result.ToString(), Is.EqualTo("<All keys matched successfully>"));
        Assert.That($"{result}", Is.EqualTo("<All keys matched successfully>"));
    }

    [Test]
    public void A_partial_match_lists_both_kinds_of_key_as_PyTorch_does()
    {
        var model = new Linear(3, 2, seed: 1);
        var dict = new Dictionary<string, Tensor<float>> { ["weight"] = Tensor.Zeros<float>(2, 3), ["scale"] = Tensor.Ones<float>(1) };
        LoadStateDictResult result = model.LoadStateDict(dict, strict: false);
        Assert.That(result.ToString(), Is.EqualTo("_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['scale'])"));
    }
}

/// <summary>Module.Save and Module.Load: a state dict to a file and back in one call each.</summary>
[TestFixture]
public sealed class ModuleSaveLoadTests
{
    [Test]
    public void Save_then_Load_restores_every_parameter_and_buffer()
    {
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-save-{Guid.NewGuid():N}.safetensors");
        try
        {
            var trained = new Sequential(new Linear(3, 4, seed: 1), new BatchNorm1d(4), new Linear(4, 2, seed: 2));
            trained.Forward(Tensor.RandomNormal<float>([5, 3], 3)); // moves the running statistics away from 0 and 1
            trained.Save(path);
            var fresh = new Sequential(new Linear(3, 4, seed: 7), new BatchNorm1d(4), new Linear(4, 2, seed: 8));
            LoadStateDictResult result = fresh.Load(path);
            Assert.That(result.ToString(), Is.EqualTo("<All keys matched successfully>"));
            foreach ((string key, Tensor<float> value) in trained.StateDict())
            {
                Assert.That(fresh.StateDict()[key].ToArray(), Is.EqualTo(value.ToArray()), key);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_of_a_mismatched_file_changes_nothing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"autodiff-save-{Guid.NewGuid():N}.safetensors");
        try
        {
            new Linear(3, 5, seed: 1).Save(path);
            var model = new Linear(3, 4, seed: 2);
            float[] before = model.Weight.ToArray();
            Assert.Throws<ArgumentException>(() => model.Load(path));
            Assert.That(model.Weight.ToArray(), Is.EqualTo(before));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
