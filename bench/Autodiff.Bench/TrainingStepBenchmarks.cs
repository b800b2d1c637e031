using BenchmarkDotNet.Attributes;

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
    private StepBatch _batch = null!;

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
        _batch = new StepBatch([Batch, TrainingPair.Inputs], TrainingPair.Classes);
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
