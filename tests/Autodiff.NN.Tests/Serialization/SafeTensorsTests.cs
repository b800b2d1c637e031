using System.Buffers.Binary;
using System.Text;
using Autodiff.NN.Serialization;
using Autodiff.NN.Tests.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.NN.Tests.Serialization;

/// <summary>safetensors: round trips, the exact bytes of a small file, and one rejection per kind of malformed file.</summary>
[TestFixture]
public sealed class SafeTensorsTests
{
    private static Gen<Tensor<float>> RandomTensor()
        => from rank in Gen.Choose(0, 4)
           from shape in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0)), (5, Gen.Choose(1, 4))), rank)
           from values in Gen.ArrayOf(Gen.Choose(-1_000_000, 1_000_000).Select(v => v / 1024f), shape.Aggregate(1, (a, b) => a * b))
           select Make(values, shape);

    private static Tensor<float> Make(float[] values, int[] shape)
    {
        var t = Tensor.Zeros<float>(shape);
        values.CopyTo(t.MutableSpan());
        return t;
    }

    private static Gen<string> Name() => Gen.Elements("w", "b", "layer.0.weight", "fc2.bias", "émbedding", "a+b", "x\"y", "k\\z", "");

    /// <summary>8-byte little-endian length, the header as given (no padding), then the data.</summary>
    private static byte[] File(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static InvalidDataException Rejects(byte[] file)
        => Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new MemoryStream(file)))!;

    private static void AssertSame(Dictionary<string, Tensor<float>> actual, IReadOnlyDictionary<string, Tensor<float>> expected)
    {
        Assert.That(actual.Keys, Is.EqualTo(expected.Keys), "names, in order");
        foreach ((string name, Tensor<float> t) in expected)
        {
            Assert.That(actual[name].ShapeArray(), Is.EqualTo(t.ShapeArray()), name);
            Assert.That(actual[name].ToArray().Select(BitConverter.SingleToInt32Bits), Is.EqualTo(t.ToArray().Select(BitConverter.SingleToInt32Bits)), name);
        }
    }

    [Test]
    public void Random_tensors_and_metadata_round_trip_exactly()
    {
        Gen<Dictionary<string, Tensor<float>>> tensors =
            from names in Gen.ListOf(Name()).Select(n => n.Distinct().ToList())
            from values in Gen.ArrayOf(RandomTensor(), names.Count)
            select names.Zip(values).ToDictionary(p => p.First, p => p.Second);
        Gen<Dictionary<string, string>?> metadata = Gen.OneOf(
            Gen.Constant<Dictionary<string, string>?>(null),
            Gen.ListOf(Gen.Elements("format", "epoch", "note")).Select(keys => (Dictionary<string, string>?)keys.Distinct().ToDictionary(k => k, k => k + " = \"π\"")));

        Property property = Prop.ForAll(tensors.ToArbitrary(), metadata.ToArbitrary(), (t, m) =>
        {
            var stream = new MemoryStream();
            SafeTensors.Save(stream, t, m);
            Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(stream.GetBuffer()) % 8, Is.Zero, "the data starts 8-aligned");
            stream.Position = 0;
            (Dictionary<string, Tensor<float>> loaded, Dictionary<string, string> meta) = SafeTensors.LoadWithMetadata(stream);
            AssertSame(loaded, t);
            Assert.That(meta, Is.EqualTo(m ?? []));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Test]
    public void Special_values_rank_0_and_empty_tensors_round_trip_through_a_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("weights.safetensors");
        var tensors = new Dictionary<string, Tensor<float>>
        {
            ["special"] = Tensor.FromArray<float>([float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon, float.MaxValue]),
            ["scalar"] = Tensor.Scalar(3.25f),
            ["empty"] = Tensor.Zeros<float>(0, 3),
            ["after"] = Tensor.Ones<float>(2, 1),
        };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        AssertSame(SafeTensors.Load(path), tensors);
        Assert.That(SafeTensors.Load(path)["scalar"].Rank, Is.Zero);
        Assert.That(Directory.GetFiles(dir.Path), Has.Length.EqualTo(1), "no temporary file is left behind");

        SafeTensors.Save(path, new Dictionary<string, Tensor<float>> { ["new"] = Tensor.Scalar(1f) });
        Assert.That(SafeTensors.Load(path).Keys, Is.EqualTo(new[] { "new" }), "an existing file is replaced");
    }

    [Test]
    public void A_tiny_file_has_exactly_the_expected_bytes()
    {
        var stream = new MemoryStream();
        SafeTensors.Save(
            stream,
            new Dictionary<string, Tensor<float>> { ["a"] = Tensor.FromArray<float>([1f, 2f]), ["b"] = Tensor.Scalar(0.5f) },
            new Dictionary<string, string> { ["format"] = "pt" });

        const string Header = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[8,12]}}""";
        Assert.That(Header, Has.Length.EqualTo(138));
        byte[] expected =
        [
            0x90, 0, 0, 0, 0, 0, 0, 0,                          // 144 = 138 + 6 spaces of padding
            .. Encoding.UTF8.GetBytes(Header + "      "),
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40,     // a = [1, 2]
            0x00, 0x00, 0x00, 0x3F,                             // b = 0.5
        ];
        Assert.That(stream.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Nothing_at_all_saves_as_an_empty_object()
    {
        var stream = new MemoryStream();
        SafeTensors.Save(stream, new Dictionary<string, Tensor<float>>());
        Assert.That(stream.ToArray(), Is.EqualTo(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32 }));
        stream.Position = 0;
        Assert.That(SafeTensors.Load(stream), Is.Empty);
    }

    [Test]
    public void Saving_refuses_the_reserved_metadata_name()
        => Assert.Throws<ArgumentException>(() => SafeTensors.Save(new MemoryStream(), new Dictionary<string, Tensor<float>> { ["__metadata__"] = Tensor.Scalar(1f) }));

    [Test]
    public void A_file_shorter_than_the_length_field_is_rejected()
        => Assert.That(Rejects([1, 0, 0]).Message, Does.Contain("3 bytes").And.Contain("8-byte header length"));

    [Test]
    public void A_header_length_beyond_the_file_is_rejected()
    {
        byte[] file = File("{}", 0);
        file[0] = 200;
        Assert.That(Rejects(file).Message, Does.Contain("header length 200 is beyond the end of the file").And.Contain("only 2 bytes"));
        Assert.That(
            Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new ForwardOnlyStream(file)))!.Message,
            Does.Contain("header length 200 is beyond the end of the file"));
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);
        Assert.That(Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new ForwardOnlyStream(file)))!.Message, Does.Contain("exceeds the limit"));
    }

    [TestCase("{\"a\":", "not valid JSON")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],}}", "not valid JSON")]
    [TestCase("[1, 2]", "must be a JSON object")]
    [TestCase("{\"a\":[0, 4]}", "tensor 'a' must be described by an object")]
    [TestCase("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'a' has no 'dtype' field")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "tensor 'a' has no 'shape' field")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "tensor 'a' has no 'data_offsets' field")]
    [TestCase("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", "'dtype' must be a String")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "shape entry 0 is -1")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "shape entry 0 is 1.5")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "data_offsets must be [begin, end]")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", "data_offsets begin is -4")]
    [TestCase("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", "end before they begin")]
    [TestCase("{\"__metadata__\":{\"epoch\":3},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "entry 'epoch' must be a string")]
    [TestCase("{\"__metadata__\":[],\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'__metadata__' must be an object")]
    public void A_malformed_header_is_rejected_with_what_is_wrong(string header, string message)
        => Assert.That(Rejects(File(header, 4)).Message, Does.StartWith("safetensors stream: ").And.Contain(message));

    [TestCase("F8_E4M3", 1, "dtype F8_E4M3 is not supported (supported: BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64)")]
    [TestCase("C64", 8, "dtype C64 is not supported")]
    [TestCase("Q4", 8, "unknown dtype 'Q4'")]
    public void Dtypes_that_are_not_read_are_rejected_by_name(string dtype, int bytes, string message)
        => Assert.That(Rejects(File($$$"""{"w":{"dtype":"{{{dtype}}}","shape":[1],"data_offsets":[0,{{{bytes}}}]}}""", bytes)).Message, Does.Contain("'w'").And.Contain(message));

    [Test]
    public void A_shape_that_disagrees_with_the_offsets_is_rejected()
        => Assert.That(
            Rejects(File("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8)).Message,
            Does.Contain("shape [3]").And.Contain("3 × 4 = 12 bytes").And.Contain("span 8"));

    [Test]
    public void Overlapping_ranges_are_rejected()
        => Assert.That(
            Rejects(File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12)).Message,
            Does.Contain("'a' [0, 8) and 'b' [4, 12) overlap"));

    [Test]
    public void Ranges_beyond_the_data_section_are_rejected()
    {
        byte[] file = File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4);
        Assert.That(Rejects(file).Message, Does.Contain("'a'").And.Contain("beyond the data section, which has 4 bytes"));
        Assert.That(
            Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new ForwardOnlyStream(file)))!.Message,
            Does.Contain("the data section ends at byte 4, inside tensor 'a'"));
    }

    [Test]
    public void Gaps_and_trailing_bytes_of_the_data_section_are_rejected()
    {
        string gap = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""";
        Assert.That(Rejects(File(gap, 16)).Message, Does.Contain("bytes [8, 12) of the data section belong to no tensor"));
        Assert.That(Rejects(File(gap.Replace("[0,8]", "[4,12]", StringComparison.Ordinal), 16)).Message,
            Does.Contain("bytes [0, 4)"));

        byte[] trailing = File("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12);
        Assert.That(Rejects(trailing).Message, Does.Contain("bytes [8, 12) at the end of the data section belong to no tensor"));
        Assert.That(
            Assert.Throws<InvalidDataException>(() => SafeTensors.Load(new ForwardOnlyStream(trailing)))!.Message,
            Does.Contain("bytes from 8 on"));
    }

    [Test]
    public void Duplicate_names_are_rejected()
    {
        string header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""";
        Assert.That(Rejects(File(header, 8)).Message, Does.Contain("'a' twice"));
    }

    [Test]
    public void Empty_tensors_may_share_an_offset_with_their_neighbours()
    {
        string header = """{"e":{"dtype":"F32","shape":[0,5],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"f":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}""";
        Dictionary<string, Tensor<float>> loaded = SafeTensors.Load(new MemoryStream(File(header, 4)));
        Assert.That(loaded.Keys, Is.EqualTo(new[] { "e", "a", "f" }), "in the header's order");
        Assert.That(loaded["e"].ShapeArray(), Is.EqualTo(new[] { 0, 5 }));
    }

    [Test]
    public void Unknown_fields_of_a_tensor_are_ignored_as_the_reference_reader_does()
    {
        string header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"note":"x"}}""";
        Assert.That(SafeTensors.Load(new MemoryStream(File(header, 4)))["a"].Shape.ToArray(), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void A_missing_file_is_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("missing.safetensors");
        Assert.That(Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(path))!.Message, Does.Contain(path));
    }
}
