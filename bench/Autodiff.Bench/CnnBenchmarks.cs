using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// One training step of the Fashion-MNIST CNN (<see cref="CnnPair"/>: two conv + batch-norm + ReLU + max-pool blocks,
/// two linear layers, cross-entropy, SGD) at batch 64 on 28×28 images: zero-grad, forward, backward, update — ours
/// against TorchSharp's on the same weights and batch.
/// </summary>
/// <remarks>
/// As in <see cref="TrainingStepBenchmarks"/>: ours reuses one tape, TorchSharp disposes each step's tensors with a
/// dispose scope, both use the same number of threads, and <see cref="Setup"/> checks that both compute the same
/// losses, weights and running statistics for three steps before anything is timed.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(4)]
[MinIterationCount(10)]
[MaxIterationCount(25)]
public class CnnBenchmarks
{
    private CnnPair _pair = null!;
    private StepBatch _batch = null!;

    /// <summary>The number of images per step.</summary>
    [Params(64)]
    public int Batch { get; set; }

    /// <summary>The number of threads each side may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadCount.UseOnBothSides(Threads);
        _pair = new CnnPair(seed: 7);
        _batch = new StepBatch([Batch, 1, 28, 28], CnnPair.Classes);
        _pair.CheckAgreement(_batch.X, _batch.Y, _batch.TorchX, _batch.TorchY);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Dispose();
        _batch.Dispose();
    }

    /// <summary>TorchSharp: <c>zero_grad</c>, forward, <c>cross_entropy</c>, <c>backward</c>, <c>SGD.step</c>.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => _pair.TorchStep(_batch.TorchX, _batch.TorchY);

    /// <summary>Ours: the same step on a reused tape.</summary>
    [Benchmark]
    public float Autodiff() => _pair.OurStep(_batch.X, _batch.Y);
}
