using System.Globalization;
using Autodiff.NN;
using Autodiff.NN.Optim;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

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

    /// <summary>The number of samples per step.</summary>
    [Params(64, 256)]
    public int Batch { get; set; }

    /// <summary>The number of threads each side may use.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Parallelism.MaxThreads = Threads;
        torch.set_num_threads(Threads);
        _pair = new TrainingPair(Batch, seed: 7);
        _pair.CheckAgreement();
    }

    [GlobalCleanup]
    public void Cleanup() => _pair.Dispose();

    /// <summary>TorchSharp: <c>zero_grad</c>, forward, <c>cross_entropy</c>, <c>backward</c>, <c>SGD.step</c>.</summary>
    [Benchmark(Baseline = true)]
    public float TorchSharp() => _pair.TorchStep();

    /// <summary>Ours: the same step on a reused tape.</summary>
    [Benchmark]
    public float Autodiff() => _pair.OurStep();
}

/// <summary>
/// The same MLP, optimiser and batch on both sides, with TorchSharp's weights copied from ours, so that their steps
/// can be compared number for number.
/// </summary>
internal sealed class TrainingPair : IDisposable
{
    private const int Inputs = 784;
    private const int Hidden = 128;
    private const int Classes = 10;
    private const double LearningRate = 0.01;

    private readonly Sequential _model;
    private readonly SGD _optimizer;
    private readonly Tape _tape = new();
    private readonly Tensor<float> _x;
    private readonly int[] _y;

    private readonly nn.Module<torch.Tensor, torch.Tensor> _torchModel;
    private readonly optim.Optimizer _torchOptimizer;
    private readonly torch.Tensor _torchX;
    private readonly torch.Tensor _torchY;

    public TrainingPair(int batch, int seed)
    {
        _model = new Sequential(new Linear(Inputs, Hidden, seed: seed), new ReLU(), new Linear(Hidden, Classes, seed: seed + 1));
        _optimizer = new SGD(_model.Parameters(), LearningRate);
        _x = Tensor.RandomUniform<float>([batch, Inputs], seed: seed + 2, low: 0, high: 1);
        var random = new Random(seed + 3);
        _y = Enumerable.Range(0, batch).Select(_ => random.Next(Classes)).ToArray();

        _torchModel = nn.Sequential(("fc1", nn.Linear(Inputs, Hidden)), ("relu", nn.ReLU()), ("fc2", nn.Linear(Hidden, Classes)));
        using (torch.no_grad())
        {
            foreach ((string name, torch.Tensor parameter) in _torchModel.named_parameters())
            {
                Tensor<float> ours = _model.NamedParameters().Single(p => p.Name == TorchToOurs(name)).Parameter;
                using torch.Tensor value = torch.tensor(ours.ToArray(), ours.ShapeArray().Select(d => (long)d).ToArray());
                parameter.copy_(value);
            }
        }

        _torchOptimizer = optim.SGD(_torchModel.parameters(), LearningRate);
        _torchX = torch.tensor(_x.ToArray(), [batch, Inputs]);
        _torchY = torch.tensor(_y.Select(c => (long)c).ToArray(), [batch]);
    }

    /// <summary>One step of ours; returns the loss before the update.</summary>
    public float OurStep()
    {
        _tape.Reset();
        _optimizer.ZeroGrad();
        Tensor<float> loss = NN.Functional.CrossEntropy(_model.Forward(_x), _y);
        loss.Backward();
        _optimizer.Step();
        return loss.Item();
    }

    /// <summary>One step of TorchSharp's; returns the loss before the update.</summary>
    public float TorchStep()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        _torchOptimizer.zero_grad();
        torch.Tensor loss = nn.functional.cross_entropy(_torchModel.forward(_torchX), _torchY);
        loss.backward();
        _torchOptimizer.step();
        return loss.item<float>();
    }

    /// <summary>Runs three steps on both sides and throws unless the losses and the weights agree to float rounding.</summary>
    public void CheckAgreement()
    {
        for (int step = 0; step < 3; step++)
        {
            float ours = OurStep(), theirs = TorchStep();
            if (Math.Abs(ours - theirs) > 1e-4 * Math.Max(1, Math.Abs(theirs)))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Training step {step}: loss {ours} (ours) vs {theirs} (TorchSharp)."));
            }
        }

        foreach ((string name, torch.Tensor parameter) in _torchModel.named_parameters())
        {
            float[] theirs = parameter.data<float>().ToArray();
            ReadOnlySpan<float> ours = _model.NamedParameters().Single(p => p.Name == TorchToOurs(name)).Parameter.Span;
            for (int i = 0; i < theirs.Length; i++)
            {
                if (Math.Abs(ours[i] - theirs[i]) > 1e-5)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"After 3 steps, {name}[{i}] = {ours[i]} (ours) vs {theirs[i]} (TorchSharp)."));
                }
            }
        }
    }

    public void Dispose()
    {
        _tape.Dispose();
        _torchX.Dispose();
        _torchY.Dispose();
        _torchOptimizer.Dispose();
        _torchModel.Dispose();
    }

    /// <summary>"fc1.weight" → "0.weight": TorchSharp names Sequential children as given, ours by position.</summary>
    private static string TorchToOurs(string name) => name.Replace("fc1.", "0.", StringComparison.Ordinal).Replace("fc2.", "2.", StringComparison.Ordinal);
}
