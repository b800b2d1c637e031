using System.Globalization;
using Autodiff.NN.Data;
using BenchmarkDotNet.Attributes;
using TorchSharp;

namespace Autodiff.Bench;

/// <summary>
/// One epoch of Fashion-MNIST (60,000 training images, batches of 64, shuffled) through the MLP 784-128-10 of
/// <see cref="TrainingStepBenchmarks"/>: ours with its <see cref="DataLoader"/> and a reused tape, TorchSharp with
/// the whole set as one tensor and <c>index_select</c> per batch, in the same order.
/// </summary>
/// <remarks>
/// Needs the images in /usr/share/datasets/fashion-mnist (Debian's <c>dataset-fashion-mnist</c>, which .ci/run
/// installs). An epoch takes about half a second, so each measurement is one epoch and there are few of them.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(1)]
[IterationCount(5)]
[InvocationCount(1)]
public class FashionMnistEpochBenchmarks
{
    private const int BatchSize = 64;

    private TrainingPair _pair = null!;
    private DataLoader _loader = null!;
    private torch.Tensor _torchImages = null!;
    private torch.Tensor _torchLabels = null!;
    private torch.Tensor[] _torchBatches = [];

    /// <summary>The number of threads each side may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ThreadCount.UseOnBothSides(Threads);
        (Dataset train, _) = FashionMnist.Load();
        _pair = new TrainingPair(seed: 11);
        _loader = new DataLoader(train, BatchSize, shuffle: true, seed: 12, reuseBuffers: true);

        _torchImages = torch.tensor(train.Features.ToArray(), [train.Count, TrainingPair.Inputs]);
        _torchLabels = torch.tensor(train.Labels.Select(c => (long)c).ToArray(), [train.Count]);
        int[] order = _loader.Order(0);
        _torchBatches = order.Chunk(BatchSize).Select(chunk => torch.tensor(chunk.Select(i => (long)i).ToArray(), [chunk.Length])).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Dispose();
        _torchImages.Dispose();
        _torchLabels.Dispose();
        foreach (torch.Tensor batch in _torchBatches)
        {
            batch.Dispose();
        }
    }

    /// <summary>TorchSharp: an epoch of steps on batches gathered with <c>index_select</c>. Returns the mean loss.</summary>
    [Benchmark(Baseline = true)]
    public double TorchSharp()
    {
        double total = 0;
        foreach (torch.Tensor indices in _torchBatches)
        {
            using var scope = torch.NewDisposeScope();
            total += _pair.TorchStep(_torchImages.index_select(0, indices), _torchLabels.index_select(0, indices));
        }

        return Report(nameof(TorchSharp), total / _torchBatches.Length);
    }

    /// <summary>Ours: an epoch of steps on the <see cref="DataLoader"/>'s batches (same order). Returns the mean loss.</summary>
    [Benchmark]
    public double Autodiff()
    {
        double total = 0;
        int batches = 0;
        foreach ((Tensor<float> x, int[] y) in _loader.Epoch(0))
        {
            total += _pair.OurStep(x, y);
            batches++;
        }

        return Report(nameof(Autodiff), total / batches);
    }

    /// <summary>Prints the epoch's mean loss, so that a run shows both sides learning alike.</summary>
    private static double Report(string side, double meanLoss)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {side}: mean training loss over the epoch {meanLoss:F4}"));
        return meanLoss;
    }
}
