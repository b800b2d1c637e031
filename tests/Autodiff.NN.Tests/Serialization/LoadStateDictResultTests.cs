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
