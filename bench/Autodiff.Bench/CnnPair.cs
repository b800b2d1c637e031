using System.Globalization;
using Autodiff.NN;
using Autodiff.NN.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Autodiff.Bench;

/// <summary>
/// The Fashion-MNIST CNN of examples/FashionMnistCnn built twice, ours and TorchSharp's, TorchSharp's weights
/// copied from ours: two blocks of 3×3 convolution (padding 1), batch norm, ReLU and 2×2 max pooling (1→32→64
/// channels), then 3136→128→10 with ReLU, cross-entropy on logits and SGD (learning rate 0.01).
/// </summary>
internal sealed class CnnPair : IDisposable
{
    public const int Classes = 10;
    public const double LearningRate = 0.01;

    private readonly Sequential _model;
    private readonly SGD _optimizer;
    private readonly Tape _tape = new();
    private readonly nn.Module<torch.Tensor, torch.Tensor> _torchModel;
    private readonly optim.Optimizer _torchOptimizer;

    public CnnPair(int seed)
    {
        _model = new Sequential(
            new Conv2d(1, 32, 3, padding: 1, seed: seed), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
            new Conv2d(32, 64, 3, padding: 1, seed: seed + 1), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64 * 7 * 7, 128, seed: seed + 2), new ReLU(), new Linear(128, Classes, seed: seed + 3));
        _optimizer = new SGD(_model.Parameters(), LearningRate);
        _torchModel = nn.Sequential(
            ("0", nn.Conv2d(1, 32, 3, padding: 1)), ("1", nn.BatchNorm2d(32)), ("2", nn.ReLU()), ("3", nn.MaxPool2d(2)),
            ("4", nn.Conv2d(32, 64, 3, padding: 1)), ("5", nn.BatchNorm2d(64)), ("6", nn.ReLU()), ("7", nn.MaxPool2d(2)),
            ("8", nn.Flatten()), ("9", nn.Linear(64 * 7 * 7, 128)), ("10", nn.ReLU()), ("11", nn.Linear(128, Classes)));
        using (torch.no_grad())
        {
            foreach ((string name, torch.Tensor parameter) in _torchModel.named_parameters())
            {
                Tensor<float> ours = Ours(name);
                using torch.Tensor value = torch.tensor(ours.ToArray(), ours.ShapeArray().Select(d => (long)d).ToArray());
                parameter.copy_(value);
            }
        }

        _torchOptimizer = optim.SGD(_torchModel.parameters(), LearningRate);
    }

    /// <summary>One step of ours on a reused tape: zero-grad, forward, loss, backward, update. Returns the loss before the update.</summary>
    public float OurStep(Tensor<float> x, int[] y)
    {
        _tape.Reset();
        _optimizer.ZeroGrad();
        Tensor<float> loss = NN.Functional.CrossEntropy(_model.Forward(x), y);
        loss.Backward();
        _optimizer.Step();
        return loss.Item();
    }

    /// <summary>The same step in TorchSharp, its tensors disposed by a dispose scope. Returns the loss before the update.</summary>
    public float TorchStep(torch.Tensor x, torch.Tensor y)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        _torchOptimizer.zero_grad();
        torch.Tensor loss = nn.functional.cross_entropy(_torchModel.forward(x), y);
        loss.backward();
        _torchOptimizer.step();
        return loss.item<float>();
    }

    /// <summary>Runs three steps on both sides and throws unless the losses and then the weights agree to float rounding.</summary>
    public void CheckAgreement(Tensor<float> x, int[] y, torch.Tensor torchX, torch.Tensor torchY)
    {
        for (int step = 0; step < 3; step++)
        {
            float ours = OurStep(x, y), theirs = TorchStep(torchX, torchY);
            if (Math.Abs(ours - theirs) > 1e-4 * Math.Max(1, Math.Abs(theirs)))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"CNN step {step}: loss {ours} (ours) vs {theirs} (TorchSharp)."));
            }
        }

        foreach ((string name, torch.Tensor parameter) in _torchModel.named_parameters())
        {
            float[] theirs = parameter.data<float>().ToArray();
            ReadOnlySpan<float> ours = Ours(name).Span;
            for (int i = 0; i < theirs.Length; i++)
            {
                if (Math.Abs(ours[i] - theirs[i]) > 1e-4)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"After 3 steps, {name}[{i}] = {ours[i]} (ours) vs {theirs[i]} (TorchSharp)."));
                }
            }
        }

        foreach ((string name, torch.Tensor buffer) in _torchModel.named_buffers().Where(b => b.name.Contains("running", StringComparison.Ordinal)))
        {
            float[] theirs = buffer.data<float>().ToArray();
            ReadOnlySpan<float> ours = _model.NamedBuffers().Single(b => b.Name == name).Buffer.Span;
            for (int i = 0; i < theirs.Length; i++)
            {
                if (Math.Abs(ours[i] - theirs[i]) > 1e-4 * Math.Max(1, Math.Abs(theirs[i])))
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"After 3 steps, {name}[{i}] = {ours[i]} (ours) vs {theirs[i]} (TorchSharp)."));
                }
            }
        }
    }

    public void Dispose()
    {
        _tape.Dispose();
        _torchOptimizer.Dispose();
        _torchModel.Dispose();
    }

    /// <summary>Our parameter of the same name (both sides name the layers by position).</summary>
    private Tensor<float> Ours(string name) => _model.NamedParameters().Single(p => p.Name == name).Parameter;
}
