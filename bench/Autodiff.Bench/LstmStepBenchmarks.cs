using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// One AdamW training step of the CharTransformer example's LSTM (embedding 64, two layers of 256, a vocabulary of 96)
/// at batch 32 × 128 characters: ours, composed from the engine's ops with its gradient from the tape, against
/// LibTorch's fused <c>nn.LSTM</c> on the same weights and batch. <see cref="Setup"/> checks three steps agree first.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(3)]
[MinIterationCount(8)]
[MaxIterationCount(20)]
[Config(typeof(LstmStepConfig))]
public class LstmStepBenchmarks
{
    private LstmPair _pair = null!;

    /// <summary>The number of threads each side may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadCount.UseOnBothSides(Threads);
        _pair = new LstmPair();
        _pair.CheckAgreement();
        Console.WriteLine($"// LSTM step: {LstmPair.MultiplyAdds / 1e9:F2} G multiply-adds");
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    /// <summary>TorchSharp: zero_grad, embedding, nn.LSTM, linear, cross_entropy, backward, AdamW.step.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => _pair.TorchStep();

    /// <summary>Ours: the same step on a reused tape.</summary>
    [Benchmark]
    public float Autodiff() => _pair.OurStep();
}
