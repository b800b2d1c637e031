using Autodiff.NN;
using static TorchSharp.torch;

namespace Autodiff.Bench;

/// <summary>An MLP 784-128-10 (ReLU, cross-entropy on logits, SGD with learning rate 0.01), ours and TorchSharp's.</summary>
internal sealed class TrainingPair(int seed) : ModelPair(
    new Sequential(new Linear(Inputs, Hidden, seed: seed), new ReLU(), new Linear(Hidden, Classes, seed: seed + 1)),
    nn.Sequential(("0", nn.Linear(Inputs, Hidden)), ("1", nn.ReLU()), ("2", nn.Linear(Hidden, Classes))),
    "Training step",
    weightTolerance: 1e-5)
{
    public const int Inputs = 784;
    public const int Hidden = 128;
    public const int Classes = 10;
}
