using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// One AdamW training step of the CharTransformer example's model (4 pre-norm causal blocks, width 128, 4 heads,
/// context 128, a vocabulary of 96) at batch 32: ours against a TorchSharp twin on the same weights and batch.
/// <see cref="Setup"/> checks that three steps give the same losses before anything is timed.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(3)]
[MinIterationCount(8)]
[MaxIterationCount(20)]
[Config(typeof(TransformerStepConfig))]
public class TransformerStepBenchmarks
{
    private TransformerPair _pair = null!;

    /// <summary>The number of threads each side may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadCount.UseOnBothSides(Threads);
        _pair = new TransformerPair();
        _pair.CheckAgreement();
        Console.WriteLine($"// transformer step: {TransformerPair.MultiplyAdds / 1e9:F2} G multiply-adds");
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    /// <summary>TorchSharp: zero_grad, forward from LibTorch's functional ops, cross_entropy, backward, AdamW.step.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => _pair.TorchStep();

    /// <summary>Ours: the same step on a reused tape.</summary>
    [Benchmark]
    public float Autodiff() => _pair.OurStep();
}

/// <summary>
/// The memory one fused attention step needs, forward and backward at growing context (one head of width 64): on a
/// fresh tape each time, so that "Allocated" is everything the step holds — it must grow linearly with T, not as T².
/// </summary>
[MemoryDiagnoser]
[WarmupCount(1)]
[IterationCount(3)]
public class AttentionMemoryBenchmarks
{
    private Tensor<float> _q = null!, _k = null!, _v = null!;

    [Params(1024, 4096)]
    public int Context { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _q = Tensor.RandomNormal<float>([1, Context, 64], seed: 1).RequiresGrad();
        _k = Tensor.RandomNormal<float>([1, Context, 64], seed: 2).RequiresGrad();
        _v = Tensor.RandomNormal<float>([1, Context, 64], seed: 3).RequiresGrad();
    }

    /// <summary>Causal attention forward and backward, from a fresh tape.</summary>
    [Benchmark]
    public float ForwardBackward()
    {
        using var tape = new Tape();
        Tensor<float> y = Tensor.ScaledDotProductAttention(_q, _k, _v, causal: true);
        y.Sum().Backward();
        _q.ZeroGrad();
        _k.ZeroGrad();
        _v.ZeroGrad();
        return y.Span[0];
    }
}
