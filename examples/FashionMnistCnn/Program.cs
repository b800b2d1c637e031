// Fashion-MNIST with a small convolutional network: two blocks of 3×3 convolution, batch normalisation, ReLU and
// 2×2 max pooling, then two linear layers. The published baseline it has to beat (the Fashion-MNIST benchmark
// table): two conv + pooling layers 0.916, with batch norm 0.934. Data: Debian's dataset-fashion-mnist package.
using System.Diagnostics;
using Autodiff;
using Autodiff.Examples;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.NN.Optim;
using Autodiff.NN.Serialization;

var nb = new Notebook(args, "Fashion-MNIST with a two-block CNN (conv, batch norm, ReLU, max pool ×2, then 3136-128-10)");

Notebook.Section("1. The data");
Dataset train, test;
try
{
    (train, test) = FashionMnist.Load();
}
catch (FileNotFoundException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine("This example needs Debian's package dataset-fashion-mnist: sudo apt-get install dataset-fashion-mnist");
    return 2;
}

// Images as [N, 1, 28, 28]: one channel for the first convolution.
train = new Dataset(train.Features.Reshape([-1, 1, 28, 28]), train.Labels);
test = new Dataset(test.Features.Reshape([-1, 1, 28, 28]), test.Labels);
if (nb.Quick)
{
    // Quick mode (CI): a tenth of the training set for one epoch, a fifth of the test set.
    train = train.Subset([.. Enumerable.Range(0, 6_000)]);
    test = test.Subset([.. Enumerable.Range(0, 2_000)]);
}

Console.WriteLine($"  train {train.Count}, test {test.Count} images, shape [1, 28, 28] scaled to [0, 1], 10 classes");
Console.WriteLine("  Published test accuracy (Fashion-MNIST benchmark table): 2 conv + pooling 0.916; 2 conv + pooling + batch norm 0.934; MLP 0.883.");

static int[] Predict(Module<Tensor<float>, Tensor<float>> model, Dataset data)
{
    model.Eval();
    var predicted = new List<int>(data.Count);
    using (Autograd.NoGrad())
    {
        foreach ((Tensor<float> x, _) in new DataLoader(data, batchSize: 250, shuffle: false))
        {
            predicted.AddRange(model.Forward(x).ArgMax(-1));
        }
    }

    model.Train();
    return [.. predicted];
}

static Sequential NewModel(int seed) => new(
    new Conv2d(1, 32, kernelSize: 3, padding: 1, seed: seed), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),       // 32×14×14
    new Conv2d(32, 64, kernelSize: 3, padding: 1, seed: seed + 1), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),  // 64×7×7
    new Flatten(),
    new Linear(64 * 7 * 7, 128, seed: seed + 2), new ReLU(), new Dropout(0.3, seed: seed + 3),
    new Linear(128, 10, seed: seed + 4));

Notebook.Section("2. Training");
int epochs = nb.Quick ? 1 : 8;
double target = nb.Quick ? 0.75 : 0.92;
var model = NewModel(seed: 1);
Console.WriteLine($"  {model.Parameters().Sum(p => p.Size):N0} parameters:");
foreach ((string name, Module<Tensor<float>, Tensor<float>> layer) in model.NamedChildren().Select(c => (c.Name, (Module<Tensor<float>, Tensor<float>>)c.Module)))
{
    Console.WriteLine($"    {name,2}  {layer}");
}

Notebook.Text($"Adam (lr 1e-3, cosine-annealed to 0), batches of 64, {epochs} epoch{(epochs == 1 ? "" : "s")}{(nb.Quick ? " (quick mode; the full run trains 8 on all 60,000 images)" : "")}.");
var optimizer = new Adam(model.Parameters(), learningRate: 1e-3);
var schedule = new CosineAnnealingLR(optimizer, tMax: epochs);
var loader = new DataLoader(train, batchSize: 64, shuffle: true, seed: 5, reuseBuffers: true);
var trainLosses = new List<double>();
var epochSeconds = new List<double>();
EpochProgress.Run("Fashion-MNIST CNN", epochs, epoch =>
{
    var epochClock = Stopwatch.StartNew();
    double sum = 0;
    int batches = 0;
    // One tape for the epoch, reset every step, so each step computes in the memory of the previous one.
    using var tape = new Tape();
    foreach ((Tensor<float> x, int[] y) in loader)
    {
        tape.Reset();
        Tensor<float> loss = Functional.CrossEntropy(model.Forward(x), y);
        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        sum += loss.Item();
        batches++;
    }

    schedule.Step();
    epochSeconds.Add(epochClock.Elapsed.TotalSeconds);
    trainLosses.Add(sum / batches);
    double accuracy = Metrics.Accuracy(Predict(model, test), test.Labels);
    return $"train loss {trainLosses[^1]:F4}, test accuracy {accuracy:P2}, {epochSeconds[^1]:F1} s";
});

int[] predicted = Predict(model, test);
double accuracy = Metrics.Accuracy(predicted, test.Labels);
Console.WriteLine($"  {epochs} epoch{(epochs == 1 ? "" : "s")} of {train.Count} images, {epochSeconds.Average():F1} s per epoch of training (evaluation not counted), {Parallelism.MaxThreads} threads");
Console.WriteLine($"  test accuracy {accuracy:P2}");
Console.WriteLine();
Console.WriteLine(Metrics.FormatConfusionMatrix(predicted, test.Labels, 10, FashionMnist.ClassNames));
nb.Check($"test accuracy ≥ {target}{(nb.Quick ? "" : " (published: 0.916 for 2 conv + pooling)")}", accuracy >= target);
nb.Check("the training loss went down", trainLosses.Count < 2 ? trainLosses[0] < Math.Log(10) : trainLosses[^1] < trainLosses[0]);
string chart = Charts.LossCurves("fashion-mnist-cnn-loss.png", "Fashion-MNIST CNN: training cross-entropy per epoch", ("train", trainLosses));
Console.WriteLine($"  loss curve: {chart}");

Notebook.Section("3. Weights to a file and back (safetensors)");
// The state dict holds the parameters and the batch-norm running statistics that evaluation uses.
string weights = Path.Combine(Directory.CreateDirectory("weights").FullName, "fashion-mnist-cnn.safetensors");
var state = model.StateDict();
SafeTensors.Save(weights, state, new Dictionary<string, string> { ["model"] = "Fashion-MNIST CNN: 2 × (conv3x3, batch norm, ReLU, max pool 2), 3136-128-10", ["test_accuracy"] = accuracy.ToString("F4") });
var reloaded = NewModel(seed: 100);
reloaded.LoadStateDict(SafeTensors.Load(weights));
int[] reloadedPredictions = Predict(reloaded, test);
Console.WriteLine($"  {state.Count} tensors ({string.Join(", ", state.Keys.Where(k => k.Contains("running", StringComparison.Ordinal)))} among them), {new FileInfo(weights).Length:N0} bytes in {weights}");
Console.WriteLine($"  reloaded test accuracy {Metrics.Accuracy(reloadedPredictions, test.Labels):P2}");
nb.Check("the reloaded weights give the same predictions", reloadedPredictions.SequenceEqual(predicted));

return nb.Finish();
