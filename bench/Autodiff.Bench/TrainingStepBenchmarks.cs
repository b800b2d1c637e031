using BenchmarkDotNet.Attributes;
using TorchSharp;

namespace Autodiff.Bench;

/// <summary>
/// One training step of an MLP 784-128-10 (ReLU, cross-entropy on logits, plain SGD): zero the gradients, forward,
/// loss, backward, update — ours against TorchSharp's, on the same weights and the same batch.
/// </summary>
/// <remarks>
/// Both sides keep their model, optimiser and batch across invocations, as a training loop does; ours reuses one
/// tape (<see cref="Tape.Reset"/> per step), TorchSharp disposes each step's tensors with a dispose scope. The
/// thread count is set on both sides (<see cref="Parallelism.MaxThreads"/>, <c>torch.set_num_threads</c>).
/// <see cref="Setup"/> checks that the two compute the same loss and the same update before anything is timed.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(6)]
[MinIterationCount(15)]
[MaxIterationCount(40)]
public class TrainingStepBenchmarks
{
    private TrainingPair _pair = null!;
    private Tensor<float> _x = null!;
    private int[] _y = [];
    private torch.Tensor _torchX = null!;
    private torch.Tensor _torchY = null!;

    /// <summary>The number of samples per step.</summary>
    [Params(64, 256)]
    public int Batch { get; set; }

    /// <summary>The number of threads each side may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadCount.UseOnBothSides(Threads);
        _pair = new TrainingPair(seed: 7);
        _x = Tensor.RandomUniform<float>([Batch, TrainingPair.Inputs], seed: 9, low: 0, high: 1);
        var random = new Random(10);
        _y = Enumerable.Range(0, Batch).Select(_ => random.Next(TrainingPair.Classes)).ToArray();
        _torchX = torch.tensor(_x.ToArray(), [Batch, TrainingPair.Inputs]);
        _torchY = torch.tensor(_y.Select(c => (long)c).ToArray(), [Batch]);
        _pair.CheckAgreement(_x, _y, _torchX, _torchY);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Dispose();
        _torchX.Dispose();
        _torchY.Dispose();
    }

    /// <summary>TorchSharp: <c>zero_grad</c>, forward, <c>cross_entropy</c>, <c>backward</c>, <c>SGD.step</c>.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => _pair.TorchStep(_torchX, _torchY);

    /// <summary>Ours: the same step on a reused tape.</summary>
    [Benchmark]
    public float Autodiff() => _pair.OurStep(_x, _y);
}
