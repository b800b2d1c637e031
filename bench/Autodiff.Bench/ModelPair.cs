using System.Globalization;
using Autodiff.NN;
using Autodiff.NN.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Autodiff.Bench;

/// <summary>
/// One model built twice, ours and TorchSharp's, with TorchSharp's weights copied from ours and both trained by SGD,
/// so that their training steps can be compared number for number. Both sides name their layers by position
/// ("0.weight", …), which is how parameters and running statistics are matched.
/// </summary>
internal abstract class ModelPair : IDisposable
{
    public const double LearningRate = 0.01;

    private readonly Sequential _model;
    private readonly SGD _optimizer;
    private readonly Tape _tape = new();
    private readonly nn.Module<torch.Tensor, torch.Tensor> _torchModel;
    private readonly optim.Optimizer _torchOptimizer;
    private readonly string _what;
    private readonly double _weightTolerance;

    /// <param name="model">Ours.</param>
    /// <param name="torchModel">TorchSharp's, its layers named "0", "1", … like ours.</param>
    /// <param name="what">What a step is called in an error message.</param>
    /// <param name="weightTolerance">How far weights and running statistics may drift apart in three steps.</param>
    protected ModelPair(Sequential model, nn.Module<torch.Tensor, torch.Tensor> torchModel, string what, double weightTolerance)
    {
        _model = model;
        _torchModel = torchModel;
        _what = what;
        _weightTolerance = weightTolerance;
        _optimizer = new SGD(_model.Parameters(), LearningRate);
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

    /// <summary>
    /// Runs three steps on both sides and throws unless the losses, then the weights and the running statistics
    /// (batch norm), agree to float rounding.
    /// </summary>
    public void CheckAgreement(Tensor<float> x, int[] y, torch.Tensor torchX, torch.Tensor torchY)
    {
        for (int step = 0; step < 3; step++)
        {
            float ours = OurStep(x, y), theirs = TorchStep(torchX, torchY);
            if (Math.Abs(ours - theirs) > 1e-4 * Math.Max(1, Math.Abs(theirs)))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{_what} {step}: loss {ours} (ours) vs {theirs} (TorchSharp)."));
            }
        }

        foreach ((string name, torch.Tensor parameter) in _torchModel.named_parameters())
        {
            CheckClose(name, Ours(name).Span, parameter.data<float>().ToArray(), relative: false);
        }

        foreach ((string name, torch.Tensor buffer) in _torchModel.named_buffers().Where(b => b.name.Contains("running", StringComparison.Ordinal)))
        {
            CheckClose(name, _model.NamedBuffers().Single(b => b.Name == name).Buffer.Span, buffer.data<float>().ToArray(), relative: true);
        }
    }

    public void Dispose()
    {
        _tape.Dispose();
        _torchOptimizer.Dispose();
        _torchModel.Dispose();
    }

    private void CheckClose(string name, ReadOnlySpan<float> ours, float[] theirs, bool relative)
    {
        for (int i = 0; i < theirs.Length; i++)
        {
            if (Math.Abs(ours[i] - theirs[i]) > _weightTolerance * (relative ? Math.Max(1, Math.Abs(theirs[i])) : 1))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"After 3 steps, {name}[{i}] = {ours[i]} (ours) vs {theirs[i]} (TorchSharp)."));
            }
        }
    }

    private Tensor<float> Ours(string name) => _model.NamedParameters().Single(p => p.Name == name).Parameter;
}
