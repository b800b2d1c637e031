using TorchSharp;

namespace Autodiff.Bench;

/// <summary>One fixed batch of random inputs in [0, 1) and random class labels, as our tensors and as TorchSharp's.</summary>
internal sealed class StepBatch : IDisposable
{
    /// <param name="shape">The inputs' shape, batch first.</param>
    /// <param name="classes">The number of classes the labels are drawn from.</param>
    public StepBatch(int[] shape, int classes)
    {
        X = Tensor.RandomUniform<float>(shape, seed: 9, low: 0, high: 1);
        var random = new Random(10);
        Y = Enumerable.Range(0, shape[0]).Select(_ => random.Next(classes)).ToArray();
        TorchX = torch.tensor(X.ToArray(), shape.Select(d => (long)d).ToArray());
        TorchY = torch.tensor(Y.Select(c => (long)c).ToArray(), [shape[0]]);
    }

    public Tensor<float> X { get; }

    public int[] Y { get; }

    public torch.Tensor TorchX { get; }

    public torch.Tensor TorchY { get; }

    public void Dispose()
    {
        TorchX.Dispose();
        TorchY.Dispose();
    }
}
