// The main example: handwritten digit recognition on the embedded UCI digits (note 003's worked example).
// First "2 vs not 2" with one sigmoid output, then ten classes with a softmax output and cross-entropy.
using System.Diagnostics;
using Autodiff;
using Autodiff.Examples;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.NN.Optim;
using Autodiff.NN.Serialization;

var nb = new Notebook(args, "Digit recognition with Autodiff (note 003)");

Notebook.Section("1. The data");
Dataset all = Autodiff.NN.Data.Digits.Load(Path.Combine(AppContext.BaseDirectory, "digits.csv.gz"));
(Dataset train, Dataset test) = all.Split(testFraction: 0.25, seed: 42, stratify: true);
Console.WriteLine($"  {all.Count} images of 8×8 pixels (64 inputs, scaled to [0, 1]), labels 0–9");
Console.WriteLine($"  train {train.Count}, test {test.Count} (stratified split, seed 42)");
Console.WriteLine($"  UCI 'Optical Recognition of Handwritten Digits' (Alpaydin & Kaynak, 1998), CC BY 4.0");

// Predictions for a whole data set, in evaluation mode and without recording.
static int[] Predict(Module<Tensor<float>, Tensor<float>> model, Dataset data)
{
    model.Eval();
    using (Autograd.NoGrad())
    {
        int[] predicted = model.Forward(data.Features).ArgMax(-1);
        model.Train();
        return predicted;
    }
}

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("2. \"2 vs not 2\": one sigmoid output");
Notebook.Text("A network with one output unit ŷ = σ(z) estimates P(digit = 2 | image). Training minimises the binary");
Notebook.Text("cross-entropy −[t log ŷ + (1 − t) log(1 − ŷ)], computed from the logit z in the stable form");
Notebook.Text("max(z, 0) − z·t + log(1 + e^−|z|). Seen as distributions over {2, not 2}, the target [t, 1 − t] and the");
Notebook.Text("prediction [ŷ, 1 − ŷ], this is the KL divergence KL(target ‖ prediction) plus the target's entropy, which");
Notebook.Text("is 0 for hard labels: minimising either is the same thing (checked below).");
int[] isTwo(Dataset d) => d.Labels.Select(l => l == 2 ? 1 : 0).ToArray();
Tensor<float> TwoTargets(int[] labels) => Tensor.FromArray<float>(labels.Select(l => l == 2 ? 1f : 0f).ToArray(), labels.Length, 1);

var binary = new Sequential(new Linear(64, 16, seed: 1), new ReLU(), new Linear(16, 1, seed: 2));
var binaryOptimizer = new Adam(binary.Parameters(), learningRate: 0.01);
var binaryLoader = new DataLoader(train, batchSize: 64, shuffle: true, seed: 7);
int binaryEpochs = nb.Quick ? 15 : 30;
var binaryLosses = new List<double>();
EpochProgress.Run("2 vs not 2", binaryEpochs, epoch =>
{
    double sum = 0;
    int batches = 0;
    // One tape for the epoch, reset every step: Reset() hands the step's activations and gradients back to the
    // tape, so the next step computes in the same memory instead of allocating it again.
    using var tape = new Tape();
    foreach ((Tensor<float> x, int[] y) in binaryLoader)
    {
        tape.Reset();
        Tensor<float> loss = Functional.BCEWithLogits(binary.Forward(x), TwoTargets(y));
        binaryOptimizer.ZeroGrad();
        loss.Backward();
        binaryOptimizer.Step();
        sum += loss.Item();
        batches++;
    }

    binaryLosses.Add(sum / batches);
    return $"loss {binaryLosses[^1]:F4}";
});

binary.Eval();
using (Autograd.NoGrad())
{
    Tensor<float> logits = binary.Forward(test.Features);
    int[] predicted = logits.Span.ToArray().Select(z => z > 0 ? 1 : 0).ToArray();
    double binaryAccuracy = Metrics.Accuracy(predicted, isTwo(test));
    double baseline = 1 - isTwo(test).Average();
    Console.WriteLine($"  test accuracy {binaryAccuracy:P2} (always answering \"not 2\" would score {baseline:P2})");
    nb.Check("2 vs not 2: test accuracy ≥ 0.97", binaryAccuracy >= 0.97);

    // KL between [t, 1 − t] and [ŷ, 1 − ŷ] equals the BCE for hard targets.
    Tensor<float> p = logits.Sigmoid();
    Tensor<float> logPred = Tensor.Concat([p.Log(), p.RSub(1f).Log()], axis: 1);
    Tensor<float> t = TwoTargets(test.Labels);
    Tensor<float> targetDist = Tensor.Concat([t, t.RSub(1f)], axis: 1);
    double kl = Functional.KLDivergence(logPred, targetDist, Reduction.Sum).Item() / test.Count;
    double bce = Functional.BCEWithLogits(logits, t).Item();
    Console.WriteLine($"  on the test set: BCE {bce:F6}, KL(target ‖ prediction) {kl:F6}");
    nb.Check("KL(target ‖ prediction) = BCE for hard labels", Math.Abs(kl - bce) <= 1e-4 * Math.Max(1, bce));
}

binary.Train();

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("3. Ten classes: softmax output and cross-entropy");
Notebook.Text("Ten output units z, ŷ = softmax(z), loss −log ŷ_label (cross-entropy with a one-hot target: the KL");
Notebook.Text("divergence from the target distribution, up to its constant entropy). The loss is computed from the logits");
Notebook.Text("through log-softmax, so it never takes the log of a probability that rounded to 0.");
var model = new Sequential(new Linear(64, 64, seed: 3), new ReLU(), new Linear(64, 10, seed: 4));
var optimizer = new Adam(model.Parameters(), learningRate: 0.005);
var loader = new DataLoader(train, batchSize: 32, shuffle: true, seed: 11);
int epochs = nb.Quick ? 25 : 60;
var trainLosses = new List<double>();
var testLosses = new List<double>();
var trainClock = Stopwatch.StartNew();
EpochProgress.Run("0–9", epochs, epoch =>
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

    trainLosses.Add(sum / batches);
    model.Eval();
    using (Autograd.NoGrad())
    {
        testLosses.Add(Functional.CrossEntropy(model.Forward(test.Features), test.Labels).Item());
    }

    model.Train();
    return $"train loss {trainLosses[^1]:F4}, test loss {testLosses[^1]:F4}";
});
trainClock.Stop();

int[] predictedDigits = Predict(model, test);
double accuracy = Metrics.Accuracy(predictedDigits, test.Labels);
Console.WriteLine($"  {epochs} epochs in {trainClock.Elapsed.TotalSeconds:F1} s; test accuracy {accuracy:P2}");
Console.WriteLine();
Console.WriteLine(Metrics.FormatConfusionMatrix(predictedDigits, test.Labels, 10));
nb.Check("10 classes: test accuracy ≥ 0.95", accuracy >= 0.95);
nb.Check("the training loss went down", trainLosses[^1] < 0.5 * trainLosses[0]);

string chart = Charts.LossCurves("digits-loss.png", "Digits: cross-entropy per epoch", ("train", trainLosses), ("test", testLosses), ("2 vs not 2 (train)", binaryLosses));
Console.WriteLine($"  loss curves: {chart}");

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("4. Weights to a file and back (safetensors)");
string weights = Path.Combine(Directory.CreateDirectory("weights").FullName, "digits-mlp.safetensors");
SafeTensors.Save(weights, model.StateDict());
var reloaded = new Sequential(new Linear(64, 64, seed: 99), new ReLU(), new Linear(64, 10, seed: 98));
reloaded.LoadStateDict(SafeTensors.Load(weights));
double reloadedAccuracy = Metrics.Accuracy(Predict(reloaded, test), test.Labels);
Console.WriteLine($"  saved {new FileInfo(weights).Length:N0} bytes to {weights}; reloaded model's test accuracy {reloadedAccuracy:P2}");
nb.Check("the reloaded model predicts exactly as the trained one", reloadedAccuracy == accuracy && Predict(reloaded, test).SequenceEqual(predictedDigits));

// ---------------------------------------------------------------------------------------------------------------
Notebook.Section("5. Out of .NET: ONNX, run by ONNX Runtime");
Notebook.Text("Onnx.Export traces one forward pass on the tape's ops and writes the graph (opset 17) with the weights as");
Notebook.Text("initializers under their state-dict names and a dynamic batch axis. ONNX Runtime then runs the file on the");
Notebook.Text("whole test set at once; its predictions are compared with the library's.");
string onnxPath = Path.Combine(Directory.CreateDirectory("weights").FullName, "digits-mlp.onnx");
Onnx.Export(model, test.Features.Narrow(0, 0, 8), onnxPath);
float[] ortLogits = OnnxRuntimeDigits.Logits(onnxPath, test.Features);
int[] ortDigits = OnnxRuntimeDigits.ArgMax(ortLogits, 10);
double ortAccuracy = Metrics.Accuracy(ortDigits, test.Labels);
float[] ourLogits;
model.Eval();
using (Autograd.NoGrad())
{
    ourLogits = model.Forward(test.Features).ToArray();
}

model.Train();
double largest = ourLogits.Zip(ortLogits, (a, b) => Math.Abs(a - b) / (1 + Math.Abs(a))).Max();
Console.WriteLine($"  {new FileInfo(onnxPath).Length:N0} bytes in {onnxPath}");
Console.WriteLine($"  test accuracy: library {accuracy:P2}, ONNX Runtime {ortAccuracy:P2}; largest logit difference |ORT − ours|/(1 + |ours|) = {largest:G2}");
nb.Check("ONNX Runtime predicts every test digit as the library does", ortDigits.SequenceEqual(predictedDigits));
nb.Check("ONNX Runtime's logits agree to 1e-5", largest <= 1e-5);

return nb.Finish();
