// A larger data set: Fashion-MNIST (Zalando, Expat licence) from Debian's dataset-fashion-mnist package.
// The same kind of MLP as the digits example, 784-256-128-10 with ReLU, trained with Adam and cross-entropy.
using System.Diagnostics;
using Autodiff;
using Autodiff.Examples;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.NN.Optim;
using Autodiff.NN.Serialization;

var nb = new Notebook(args, "Fashion-MNIST with a 784-256-128-10 MLP");

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

Console.WriteLine($"  train {train.Count}, test {test.Count} images of 28×28 pixels (784 inputs scaled to [0, 1]), 10 classes:");
Console.WriteLine($"  {string.Join(", ", FashionMnist.ClassNames)}");
Console.WriteLine("  Published test accuracy of an MLP 256-128-100 (Fashion-MNIST benchmark table): 0.8833; human: 0.835.");

static int[] Predict(Module<Tensor<float>, Tensor<float>> model, Dataset data)
{
    model.Eval();
    var predicted = new List<int>(data.Count);
    using (Autograd.NoGrad())
    {
        foreach ((Tensor<float> x, _) in new DataLoader(data, batchSize: 2000, shuffle: false))
        {
            predicted.AddRange(model.Forward(x).ArgMax(-1));
        }
    }

    model.Train();
    return [.. predicted];
}

static Sequential NewModel(int seed) => new(
    new Linear(784, 256, seed: seed), new ReLU(),
    new Linear(256, 128, seed: seed + 1), new ReLU(),
    new Linear(128, 10, seed: seed + 2));

Notebook.Section("2. Training");
int epochs = nb.Quick ? 2 : 20;
double target = nb.Quick ? 0.84 : 0.89;
Notebook.Text($"Adam (lr 1e-3, cosine-annealed to 0 over the run), batches of 128, {epochs} epochs{(nb.Quick ? " (quick mode; the full run trains 20)" : "")}.");
var model = NewModel(seed: 1);
var optimizer = new Adam(model.Parameters(), learningRate: 1e-3);
var schedule = new CosineAnnealingLR(optimizer, tMax: epochs);
var loader = new DataLoader(train, batchSize: 128, shuffle: true, seed: 5, reuseBuffers: true);
var trainLosses = new List<double>();
var accuracies = new List<double>();
var trainClock = Stopwatch.StartNew();
EpochProgress.Run("Fashion-MNIST", epochs, epoch =>
{
    double sum = 0;
    int batches = 0;
    // One tape for the epoch, reset every step: Reset() hands the step's activations and gradients back to the
    // tape, so the next step computes in the same memory instead of allocating it again.
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
    trainLosses.Add(sum / batches);
    accuracies.Add(Metrics.Accuracy(Predict(model, test), test.Labels));
    return $"train loss {trainLosses[^1]:F4}, test accuracy {accuracies[^1]:P2}";
});
trainClock.Stop();

int[] predicted = Predict(model, test);
double accuracy = Metrics.Accuracy(predicted, test.Labels);
Console.WriteLine($"  {epochs} epochs in {trainClock.Elapsed.TotalSeconds:F1} s ({trainClock.Elapsed.TotalSeconds / epochs:F1} s per epoch of {train.Count} samples)");
Console.WriteLine($"  test accuracy {accuracy:P2}");
Console.WriteLine();
Console.WriteLine(Metrics.FormatConfusionMatrix(predicted, test.Labels, 10, FashionMnist.ClassNames));
nb.Check($"test accuracy ≥ {target}", accuracy >= target);
string chart = Charts.LossCurves("fashion-mnist-loss.png", "Fashion-MNIST: training cross-entropy per epoch", ("train", trainLosses));
Console.WriteLine($"  loss curve: {chart}");

Notebook.Section("3. Weights to a file and back (safetensors)");
string weights = Path.Combine(Directory.CreateDirectory("weights").FullName, "fashion-mnist-mlp.safetensors");
SafeTensors.Save(weights, model.StateDict(), new Dictionary<string, string> { ["model"] = "784-256-128-10 ReLU MLP", ["test_accuracy"] = accuracy.ToString("F4") });
var reloaded = NewModel(seed: 100);
reloaded.LoadStateDict(SafeTensors.Load(weights));
int[] reloadedPredictions = Predict(reloaded, test);
double reloadedAccuracy = Metrics.Accuracy(reloadedPredictions, test.Labels);
Console.WriteLine($"  {new FileInfo(weights).Length:N0} bytes in {weights}; reloaded test accuracy {reloadedAccuracy:P2}");
nb.Check("the reloaded weights give the same predictions", reloadedPredictions.SequenceEqual(predicted));

return nb.Finish();
