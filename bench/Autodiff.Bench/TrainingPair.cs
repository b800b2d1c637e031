using System.Globalization;
using Autodiff.NN;
using Autodiff.NN.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Autodiff.Bench;

/// <summary>
/// An MLP 784-128-10 (ReLU, cross-entropy on logits, SGD with learning rate 0.01) built twice, ours and TorchSharp's,
/// with TorchSharp's weights copied from ours, so that their training steps can be compared number for number.
/// </summary>
internal sealed class TrainingPair : IDisposable
{
    public const int Inputs = 784;
    public const int Hidden = 128;
    public const int Classes = 10;
    public const double LearningRate = 0.01;

    private readonly Sequential _model;
    private readonly SGD _optimizer;
    private readonly Tape _tape = new();
    private readonly nn.Module<torch.Tensor, torch.Tensor> _torchModel;
    private readonly optim.Optimizer _torchOptimizer;

    public TrainingPair(int seed)
    {
        _model = new Sequential(new Linear(Inputs, Hidden, seed: seed), new ReLU(), new Linear(Hidden, Classes, seed: seed + 1));
        _optimizer = new SGD(_model.Parameters(), LearningRate);
        _torchModel = nn.Sequential(("fc1", nn.Linear(Inputs, Hidden)), ("relu", nn.ReLU()), ("fc2", nn.Linear(Hidden, Classes)));
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
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Training step {step}: loss {ours} (ours) vs {theirs} (TorchSharp)."));
            }
        }

        foreach ((string name, torch.Tensor parameter) in _torchModel.named_parameters())
        {
            float[] theirs = parameter.data<float>().ToArray();
            ReadOnlySpan<float> ours = Ours(name).Span;
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
        _torchOptimizer.Dispose();
        _torchModel.Dispose();
    }

    /// <summary>Our parameter for TorchSharp's name: "fc1.weight" is our "0.weight" (ours are named by position).</summary>
    private Tensor<float> Ours(string torchName)
    {
        string name = torchName.Replace("fc1.", "0.", StringComparison.Ordinal).Replace("fc2.", "2.", StringComparison.Ordinal);
        return _model.NamedParameters().Single(p => p.Name == name).Parameter;
    }
}
