using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Autodiff.NN.Data;
using Autodiff.NN.Optim;
using Autodiff.NN.Serialization;
using Autodiff.NN.Tests.Data;
using Autodiff.Testing;

namespace Autodiff.NN.Tests.Reliability;

/// <summary>
/// The misuse catalogue of Autodiff.NN: one case per way of holding it wrong, each asserting the specific exception
/// type and the parts of its message that say what went wrong and what to do. docs/reliability.md lists them.
/// </summary>
[TestFixture]
public sealed class MisuseCatalogueTests
{
    /// <summary>One misuse: what the user does (given a scratch folder), the exception, and what the message must say.</summary>
    public sealed record Misuse(string Name, Action<TempDirectory> Act, Type Expected, params string[] Says)
    {
        public override string ToString() => Name;
    }

    private static Tensor<float>[] Params() => [Tensor.Ones<float>(2, 2).RequiresGrad()];

    private static Tensor<float> F(params int[] shape) => Tensor.Ones<float>(shape);

    private static Dataset Data(int n) => new(Tensor.Zeros<float>(n, 2), new int[n]);

    private static string Write(TempDirectory dir, byte[] bytes, string name = "file")
    {
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] IdxBytes(byte type, int[] shape, int dataBytes)
    {
        var bytes = new byte[4 + (4 * shape.Length) + dataBytes];
        bytes[2] = type;
        bytes[3] = (byte)shape.Length;
        for (int d = 0; d < shape.Length; d++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * d)), shape[d]);
        }

        return bytes;
    }

    private static byte[] SafeTensorsBytes(string json, int dataBytes, byte[]? data = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data?.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static string Row(int pixel = 0, int label = 0, int pixels = 64)
        => string.Join(',', Enumerable.Repeat(pixel.ToString(System.Globalization.CultureInfo.InvariantCulture), pixels)) + "," + label.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static IEnumerable<Misuse> Cases()
    {
        // ---- optimisers and schedules -------------------------------------------------------------------------
        yield return new("optimiser: NaN learning rate", d => _ = new SGD(Params(), double.NaN), typeof(ArgumentOutOfRangeException),
            "SGD", "LearningRate must be finite and ≥ 0", "NaN");
        yield return new("optimiser: negative learning rate", d => _ = new Adam(Params(), -1e-3), typeof(ArgumentOutOfRangeException),
            "Adam", "must be finite and ≥ 0");
        yield return new("optimiser: infinite learning rate set by a schedule", d => new SGD(Params(), 0.1).LearningRate = double.PositiveInfinity,
            typeof(ArgumentOutOfRangeException), "LearningRate must be finite");
        yield return new("optimiser: no parameters", d => _ = new SGD([], 0.1), typeof(ArgumentException),
            "SGD", "parameter list is empty");
        yield return new("optimiser: a parameter listed twice", d =>
        {
            Tensor<float> p = F(2).RequiresGrad();
            _ = new Adam([p, p]);
        }, typeof(ArgumentException), "parameter 1", "more than once");
        yield return new("optimiser: Nesterov without momentum", d => _ = new SGD(Params(), 0.1, nesterov: true), typeof(ArgumentException),
            "Nesterov", "momentum > 0");
        yield return new("optimiser: Adam beta1 = 1", d => _ = new Adam(Params(), beta1: 1.0), typeof(ArgumentOutOfRangeException),
            "beta1 must lie in [0, 1)");
        yield return new("optimiser: negative weight decay", d => _ = new AdamW(Params(), weightDecay: -0.1), typeof(ArgumentOutOfRangeException),
            "weightDecay must be finite and ≥ 0");
        yield return new("optimiser: RMSprop alpha NaN", d => _ = new RMSprop(Params(), alpha: double.NaN), typeof(ArgumentOutOfRangeException),
            "alpha must lie in [0, 1)");
        yield return new("schedule: negative gamma", d => _ = new StepLR(new SGD(Params(), 0.1), 10, gamma: -0.5), typeof(ArgumentOutOfRangeException),
            "StepLR", "gamma must be finite and ≥ 0");
        yield return new("schedule: NaN etaMin", d => _ = new CosineAnnealingLR(new SGD(Params(), 0.1), 10, double.NaN), typeof(ArgumentOutOfRangeException),
            "CosineAnnealingLR", "etaMin must be finite");
        yield return new("clipping: NaN max norm", d => ClipGrad.ClipGradNorm(Params(), double.NaN), typeof(ArgumentOutOfRangeException),
            "ClipGradNorm", "maxNorm must be ≥ 0");
        yield return new("clipping: negative clip value", d => ClipGrad.ClipGradValue(Params(), -1), typeof(ArgumentOutOfRangeException),
            "ClipGradValue", "clipValue must be ≥ 0");

        // ---- data -----------------------------------------------------------------------------------------------
        yield return new("data loader: batch size 0", d => _ = new DataLoader(Data(4), 0), typeof(ArgumentOutOfRangeException),
            "DataLoader", "batch size must be at least 1, got 0");
        yield return new("dataset: features and labels disagree", d => _ = new Dataset(Tensor.Zeros<float>(3, 2), new int[2]), typeof(ArgumentException),
            "3 samples", "2 labels");
        yield return new("dataset: negative label", d => _ = new Dataset(Tensor.Zeros<float>(2, 2), [0, -1]), typeof(ArgumentException),
            "label -1 of sample 1 is negative", "class indices");
        yield return new("dataset: rank-0 features", d => _ = new Dataset(Tensor.Scalar(1f), []), typeof(ArgumentException),
            "sample dimension");
        yield return new("dataset: test fraction above 1", d => _ = Data(4).Split(1.5, seed: 0), typeof(ArgumentOutOfRangeException),
            "testFraction must be in [0, 1]");
        yield return new("dataset: subset index out of range", d => _ = Data(4).Subset([0, 4]), typeof(ArgumentOutOfRangeException),
            "index 4", "outside 0 … 3");

        // ---- loading weights ----------------------------------------------------------------------------------
        yield return new("load weights: missing tensor", d =>
        {
            var model = new Linear(3, 2);
            _ = model.LoadStateDict(new Dictionary<string, Tensor<float>> { ["weight"] = F(2, 3) });
        }, typeof(ArgumentException), "missing keys: bias [2]", "same architecture", "strict: false");
        yield return new("load weights: extra tensor", d =>
        {
            var model = new Linear(3, 2);
            _ = model.LoadStateDict(new Dictionary<string, Tensor<float>> { ["weight"] = F(2, 3), ["bias"] = F(2), ["scale"] = F(1) });
        }, typeof(ArgumentException), "unexpected keys: scale [1]", "strict: false");
        yield return new("load weights: misshaped tensor", d =>
        {
            var model = new Linear(3, 2);
            _ = model.LoadStateDict(new Dictionary<string, Tensor<float>> { ["weight"] = F(3, 2), ["bias"] = F(2) });
        }, typeof(ArgumentException), "shape mismatch: weight: model [2, 3], state dict [3, 2]");
        yield return new("load weights: misshaped tensor even when not strict", d =>
        {
            var model = new Linear(3, 2);
            _ = model.LoadStateDict(new Dictionary<string, Tensor<float>> { ["bias"] = F(3) }, strict: false);
        }, typeof(ArgumentException), "bias: model [2], state dict [3]", "fix the shapes");

        // ---- layers and losses --------------------------------------------------------------------------------
        yield return new("linear: input features do not fit", d => _ = new Linear(3, 2).Forward(F(4, 5)), typeof(ArgumentException),
            "Linear", "[4, 5]", "last axis must be 3");
        yield return new("linear: zero features", d => _ = new Linear(0, 2), typeof(ArgumentOutOfRangeException),
            "Linear", "at least one input and one output feature");
        yield return new("dropout: probability above 1", d => _ = new Dropout(1.5), typeof(ArgumentOutOfRangeException),
            "Dropout", "must lie in [0, 1], got 1.5");
        yield return new("leaky ReLU: NaN slope", d => _ = new LeakyReLU(double.NaN), typeof(ArgumentOutOfRangeException),
            "LeakyReLU", "must be finite");
        yield return new("init: fan-in 0", d => Init.KaimingUniform(new float[4], 0, seed: 1), typeof(ArgumentOutOfRangeException),
            "fan-in must be positive");
        yield return new("cross-entropy: logits not [N, C]", d => _ = Functional.CrossEntropy(F(3), [0, 1, 2]), typeof(ArgumentException),
            "CrossEntropy", "shape [N, C]", "[3]");
        yield return new("NLL loss: target not a class index", d => _ = Functional.NLLLoss(F(2, 3), [0, 7]), typeof(ArgumentOutOfRangeException),
            "target 7 (row 1)", "[0, 3)");
        yield return new("NLL loss: one target per row", d => _ = Functional.NLLLoss(F(2, 3), [0]), typeof(ArgumentException),
            "1 targets", "one class index per row (2)");
        yield return new("BCE: target outside [0, 1]", d => _ = Functional.BCE(Tensor.Full(0.5f, 2), Tensor.FromArray<float>([0f, 2f], 2)), typeof(ArgumentOutOfRangeException),
            "must lie in [0, 1]", "element 1");
        yield return new("MSE: shapes differ", d => _ = Functional.MSELoss(F(2, 3), F(3, 2)), typeof(ArgumentException),
            "[2, 3]", "[3, 2]", "must have the same shape");
        yield return new("loss: unknown reduction", d => _ = Functional.MSELoss(F(2), F(2), (Reduction)42), typeof(ArgumentOutOfRangeException),
            "unknown reduction");
        yield return new("metrics: accuracy of no samples", d => _ = Metrics.Accuracy([], []), typeof(ArgumentException),
            "no samples", "undefined");
        yield return new("metrics: predictions and labels differ in number", d => _ = Metrics.Accuracy([1, 2], [1]), typeof(ArgumentException),
            "2 predictions for 1 labels");
        yield return new("metrics: label outside the classes", d => _ = Metrics.ConfusionMatrix([0, 1], [0, 5], 3), typeof(ArgumentOutOfRangeException),
            "true class 5 of sample 1 is outside 0 … 2");

        // ---- IDX files ------------------------------------------------------------------------------------------
        yield return new("IDX: wrong magic number", d => _ = Idx.Read(Write(d, [0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0])), typeof(InvalidDataException),
            "not an IDX file", "0x12 0x34", "start with 0x00 0x00");
        yield return new("IDX: fewer than 4 bytes", d => _ = Idx.Read(Write(d, [0, 0])), typeof(InvalidDataException),
            "not an IDX file", "2 bytes");
        yield return new("IDX: unsupported element type", d => _ = Idx.Read(Write(d, IdxBytes(0x0D, [2], 8))), typeof(InvalidDataException),
            "0x0D (32-bit float) is not supported");
        yield return new("IDX: zero dimensions", d => _ = Idx.Read(Write(d, IdxBytes(0x08, [], 0))), typeof(InvalidDataException),
            "declares 0 dimensions");
        yield return new("IDX: truncated header", d => _ = Idx.Read(Write(d, IdxBytes(0x08, [2, 3], 0)[..8])), typeof(InvalidDataException),
            "truncated IDX header", "2 dimension sizes");
        yield return new("IDX: truncated data", d => _ = Idx.Read(Write(d, IdxBytes(0x08, [2, 3], 5))), typeof(InvalidDataException),
            "truncated IDX data", "needs 6 bytes but only 5");
        yield return new("IDX: extra bytes after the data", d => _ = Idx.Read(Write(d, IdxBytes(0x08, [2, 3], 7))), typeof(InvalidDataException),
            "extra bytes after the IDX data");
        yield return new("IDX: declared size beyond an array", d => _ = Idx.Read(Write(d, IdxBytes(0x08, [65536, 65536], 16))), typeof(InvalidDataException),
            "larger than");
        yield return new("IDX: images and labels do not pair", d => _ = Idx.LoadImagesAndLabels(
            Write(d, IdxBytes(0x08, [2, 2, 2], 8), "images"), Write(d, IdxBytes(0x08, [3], 3), "labels")), typeof(InvalidDataException),
            "2 images", "3 labels", "matching pair");
        yield return new("IDX: file missing", d => _ = Idx.Read(d.File("absent")), typeof(FileNotFoundException),
            "IDX file not found");
        yield return new("IDX: corrupt gzip", d => _ = Idx.Read(Write(d, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF])), typeof(InvalidDataException),
            "gzip data is corrupt");

        // ---- CSV (Digits) ---------------------------------------------------------------------------------------
        yield return new("CSV: wrong number of columns", d => _ = Digits.Load(Write(d, Encoding.ASCII.GetBytes(Row(pixels: 63)))), typeof(InvalidDataException),
            "line 1", "expected 65 comma-separated values", "found 64");
        yield return new("CSV: a field that is not an integer", d => _ = Digits.Load(Write(d, Encoding.ASCII.GetBytes(Row().Replace("0,0,", "0,x,", StringComparison.Ordinal)))),
            typeof(InvalidDataException), "column 2", "'x' is not an integer");
        yield return new("CSV: pixel out of range", d => _ = Digits.Load(Write(d, Encoding.ASCII.GetBytes(Row(pixel: 17)))), typeof(InvalidDataException),
            "pixel value 17 is outside 0…16");
        yield return new("CSV: label out of range", d => _ = Digits.Load(Write(d, Encoding.ASCII.GetBytes(Row(label: 10)))), typeof(InvalidDataException),
            "label 10 is outside 0…9");
        yield return new("CSV: no rows", d => _ = Digits.Load(Write(d, [])), typeof(InvalidDataException),
            "no rows");
        yield return new("CSV: truncated gzip", d =>
        {
            using var buffer = new MemoryStream();
            using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(Encoding.ASCII.GetBytes(string.Join('\n', Enumerable.Repeat(Row(), 50))));
            }

            byte[] all = buffer.ToArray();
            _ = Digits.Load(Write(d, all[..(all.Length / 2)]));
        }, typeof(InvalidDataException), "gzip data is corrupt", "truncated or damaged");

        // ---- safetensors ----------------------------------------------------------------------------------------
        yield return new("safetensors: file missing", d => _ = SafeTensors.Load(d.File("absent.safetensors")), typeof(FileNotFoundException),
            "safetensors file not found");
        yield return new("safetensors: shorter than the length field", d => _ = SafeTensors.Load(Write(d, [1, 2, 3])), typeof(InvalidDataException),
            "too short", "8-byte header length");
        yield return new("safetensors: header length beyond the file", d => _ = SafeTensors.Load(Write(d, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, (byte)'{', (byte)'}'])),
            typeof(InvalidDataException), "header length", "beyond the end of the file");
        yield return new("safetensors: header not JSON", d => _ = SafeTensors.Load(Write(d, SafeTensorsBytes("{\"a\": [", 0))), typeof(InvalidDataException),
            "not valid JSON");
        yield return new("safetensors: unknown dtype", d => _ = SafeTensors.Load(Write(d, SafeTensorsBytes("""{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}""", 4))),
            typeof(InvalidDataException), "tensor 'w'", "unknown dtype 'Q7'");
        yield return new("safetensors: an 8-bit float dtype", d => _ = SafeTensors.Load(Write(d, SafeTensorsBytes("""{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}""", 1))),
            typeof(InvalidDataException), "tensor 'w'", "dtype F8_E4M3 is not supported", "supported: BOOL");
        yield return new("safetensors: an I64 that float32 cannot hold exactly", d => _ = SafeTensors.Load(Write(d, SafeTensorsBytes("""{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", 8, [1, 0, 0, 1]))),
            typeof(InvalidDataException), "tensor 'w' [1]", "element 0", "16777217", "2^24");
        yield return new("safetensors: save a fraction as I64", d => SafeTensors.Save(d.File("x"), new Dictionary<string, Tensor<float>> { ["n"] = Tensor.Scalar(1.5f) }, null, new Dictionary<string, SafeTensorsDtype> { ["n"] = SafeTensorsDtype.I64 }),
            typeof(ArgumentException), "SafeTensors.Save", "tensor 'n'", "as I64", "element 0 is 1.5", "nothing was written");
        yield return new("safetensors: overlapping tensors", d => _ = SafeTensors.Load(Write(d, SafeTensorsBytes(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12))),
            typeof(InvalidDataException), "'a' [0, 8)", "'b' [4, 12)", "overlap");
        yield return new("safetensors: offsets do not match the shape", d => _ = SafeTensors.Load(Write(d, SafeTensorsBytes("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8))),
            typeof(InvalidDataException), "needs 3 × 4 = 12 bytes", "span 8");
        yield return new("safetensors: data beyond the file", d => _ = SafeTensors.Load(Write(d, SafeTensorsBytes("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8))),
            typeof(InvalidDataException), "reach beyond the data section", "8 bytes");
        yield return new("safetensors: save under the reserved name", d => SafeTensors.Save(d.File("x"), new Dictionary<string, Tensor<float>> { ["__metadata__"] = F(1) }),
            typeof(ArgumentException), "'__metadata__' is reserved");
    }

    [TestCaseSource(nameof(Cases))]
    public void Misuse_raises_the_specific_exception_with_a_message_that_says_what_and_how(Misuse misuse)
    {
        using var dir = new TempDirectory();
        MisuseCatalogue.AssertRaises(misuse.Name, () => misuse.Act(dir), misuse.Expected, misuse.Says);
    }

    [Test]
    public void The_catalogue_has_distinct_cases() => MisuseCatalogue.AssertDistinct(Cases().Select(c => c.Name), atLeast: 50);
}
