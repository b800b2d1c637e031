using Autodiff.NN;
using static TorchSharp.torch;

namespace Autodiff.Bench;

/// <summary>
/// The Fashion-MNIST CNN of examples/FashionMnistCnn (without its dropout), ours and TorchSharp's: two blocks of 3×3
/// convolution (padding 1), batch norm, ReLU and 2×2 max pooling (1→32→64 channels), then 3136→128→10 with ReLU,
/// cross-entropy on logits and SGD (learning rate 0.01).
/// </summary>
internal sealed class CnnPair(int seed) : ModelPair(
    new Sequential(
        new Conv2d(1, 32, 3, padding: 1, seed: seed), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, padding: 1, seed: seed + 1), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(64 * 7 * 7, 128, seed: seed + 2), new ReLU(), new Linear(128, Classes, seed: seed + 3)),
    nn.Sequential(
        ("0", nn.Conv2d(1, 32, 3, padding: 1)), ("1", nn.BatchNorm2d(32)), ("2", nn.ReLU()), ("3", nn.MaxPool2d(2)),
        ("4", nn.Conv2d(32, 64, 3, padding: 1)), ("5", nn.BatchNorm2d(64)), ("6", nn.ReLU()), ("7", nn.MaxPool2d(2)),
        ("8", nn.Flatten()), ("9", nn.Linear(64 * 7 * 7, 128)), ("10", nn.ReLU()), ("11", nn.Linear(128, Classes))),
    "CNN step",
    weightTolerance: 1e-4)
{
    public const int Classes = 10;
}
