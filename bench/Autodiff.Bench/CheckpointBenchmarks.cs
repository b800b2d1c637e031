using Autodiff.NN;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Bench;

/// <summary>
/// Gradient checkpointing's price: one forward and backward step of a 24-layer MLP (Linear 512 → 512 and tanh, batch
/// 64) without checkpoints (the baseline), and with <see cref="Sequential.CheckpointEvery"/> segments of 4 and 8
/// modules (√48 ≈ 7) — about one more forward pass of the checkpointed segments. What it saves is measured by
/// CheckpointingTests (the elements the tape holds after the step), since BenchmarkDotNet's "Allocated" counts
/// allocations, not the peak.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(4)]
[MinIterationCount(10)]
[MaxIterationCount(30)]
public class CheckpointBenchmarks
{
    private const int Layers = 24, Width = 512, Batch = 64;
    private Sequential _model = null!;
    private Tensor<float> _x = null!;
    private Tape _tape = null!;

    /// <summary>Modules per checkpointed segment; 0 checkpoints nothing.</summary>
    [Params(0, 4, 8)]
    public int Every { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadCount.UseOnBothSides(1);
        _model = new Sequential();
        for (int i = 0; i < Layers; i++)
        {
            _model.Add(new Linear(Width, Width, seed: i)).Add(new Tanh());
        }

        _x = Tensor.RandomNormal<float>([Batch, Width], seed: 1);
        _tape = new Tape();

        // The step must give the same gradients whichever the segments: check against the plain step once.
        float[] plain = Gradient(0), checkpointed = Gradient(Every);
        if (!plain.SequenceEqual(checkpointed))
        {
            throw new InvalidOperationException("CheckpointBenchmarks: the checkpointed step's gradient differs from the plain step's.");
        }

        _model.CheckpointEvery = Every;
    }

    private float[] Gradient(int every)
    {
        _model.CheckpointEvery = every;
        _model.ZeroGrad();
        Step();
        return _model.Parameters()[0].Grad!.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _tape.Dispose();

    /// <summary>Forward, sum, backward on a reused tape.</summary>
    [Benchmark]
    public float Step()
    {
        _tape.Reset();
        Tensor<float> loss = _model.Call(_x).Mean();
        float value = loss.Item();
        loss.Backward();
        return value;
    }
}
