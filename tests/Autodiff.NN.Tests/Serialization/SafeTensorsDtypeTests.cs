using System.Buffers.Binary;
using System.Text;
using Autodiff.NN.Serialization;
using Autodiff.NN.Tests.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Autodiff.NN.Tests.Serialization;

/// <summary>
/// The element types of safetensors and their conversion rules: exact bytes of known values (as PyTorch stores them),
/// round trips of random values through every stored type, and one refusal per rule that refuses.
/// </summary>
[TestFixture]
public sealed class SafeTensorsDtypeTests
{
    /// <summary>A one-tensor file "w" of the given dtype and shape holding <paramref name="data"/>.</summary>
    private static MemoryStream File(string dtype, int[] shape, byte[] data)
    {
        string json = $$$"""{"w":{"dtype":"{{{dtype}}}","shape":[{{{string.Join(',', shape)}}}],"data_offsets":[0,{{{data.Length}}}]}}""";
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return new MemoryStream(bytes);
    }

    private static byte[] Bytes<T>(params T[] values)
        where T : unmanaged
        => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private static float[] LoadFloats(string dtype, byte[] data, int n) => SafeTensors.Load(File(dtype, [n], data))["w"].ToArray();

    private static double[] LoadDoubles(string dtype, byte[] data, int n) => SafeTensors.LoadDouble(File(dtype, [n], data))["w"].ToArray();

    [Test]
    public void Half_and_bfloat16_widen_exactly_from_the_bytes_PyTorch_stores()
    {
        // torch.tensor([1, -2, 0.1, 65504, 6e-8], dtype=torch.float16).view(torch.int16): 0x3C00, 0xC000, 0x2E66, 0x7BFF, 0x0001.
        ushort[] half = [0x3C00, 0xC000, 0x2E66, 0x7BFF, 0x0001];
        Assert.That(LoadFloats("F16", Bytes(half), 5), Is.EqualTo(new[] { 1f, -2f, 0.0999755859375f, 65504f, 5.9604644775390625e-8f }));
        Assert.That(LoadDoubles("F16", Bytes(half), 5), Is.EqualTo(new[] { 1d, -2d, 0.0999755859375d, 65504d, 5.9604644775390625e-8d }));

        // bfloat16 is the top half of a float32: 0x3F80 = 1, 0xC0A0 = -5, 0x3DCD = 0.10009765625, 0x7F80 = +inf, 0x7FC0 = NaN.
        ushort[] bf16 = [0x3F80, 0xC0A0, 0x3DCD, 0x7F80, 0x7FC0];
        float[] loaded = LoadFloats("BF16", Bytes(bf16), 5);
        Assert.That(loaded[..4], Is.EqualTo(new[] { 1f, -5f, 0.10009765625f, float.PositiveInfinity }));
        Assert.That(float.IsNaN(loaded[4]));
    }

    [Test]
    public void F64_rounds_to_the_nearest_float32_and_a_finite_value_beyond_its_range_is_refused()
    {
        Assert.That(LoadFloats("F64", Bytes(0.1, -1e-50, double.PositiveInfinity, 3.4028234663852886e38), 4),
            Is.EqualTo(new[] { 0.1f, -0f, float.PositiveInfinity, float.MaxValue }));
        Assert.That(LoadDoubles("F64", Bytes(0.1, 1e300), 2), Is.EqualTo(new[] { 0.1, 1e300 }), "LoadDouble keeps every bit");

        var e = Assert.Throws<InvalidDataException>(() => LoadFloats("F64", Bytes(1.0, 1e39), 2))!;
        Assert.That(e.Message, Does.Contain("tensor 'w' [2]").And.Contain("element 1").And.Contain("1E+39").And.Contain("SafeTensors.LoadDouble"));
    }

    [Test]
    public void Integers_convert_exactly_or_are_refused_never_rounded()
    {
        Assert.That(LoadFloats("I64", Bytes(0L, -3L, 1L << 24, -(1L << 24)), 4), Is.EqualTo(new[] { 0f, -3f, 16777216f, -16777216f }));
        Assert.That(LoadFloats("I32", Bytes(7, -8), 2), Is.EqualTo(new[] { 7f, -8f }));
        Assert.That(LoadFloats("I16", Bytes<short>(-32768, 32767), 2), Is.EqualTo(new[] { -32768f, 32767f }));
        Assert.That(LoadFloats("I8", [0xFF, 0x7F], 2), Is.EqualTo(new[] { -1f, 127f }));
        Assert.That(LoadFloats("U8", [0xFF, 0x00], 2), Is.EqualTo(new[] { 255f, 0f }));
        Assert.That(LoadFloats("BOOL", [1, 0], 2), Is.EqualTo(new[] { 1f, 0f }));
        Assert.That(LoadDoubles("I64", Bytes((1L << 53) + 0, -(1L << 53)), 2), Is.EqualTo(new[] { 9007199254740992d, -9007199254740992d }));

        Assert.That(Assert.Throws<InvalidDataException>(() => LoadFloats("I64", Bytes(5L, (1L << 24) + 1), 2))!.Message,
            Does.Contain("element 1").And.Contain("16777217").And.Contain("float32 (|v| ≤ 2^24)").And.Contain("not rounded"));
        Assert.That(Assert.Throws<InvalidDataException>(() => LoadFloats("I32", Bytes(int.MinValue), 1))!.Message, Does.Contain("-2147483648"));
        Assert.That(Assert.Throws<InvalidDataException>(() => LoadDoubles("I64", Bytes(long.MaxValue), 1))!.Message, Does.Contain("float64 (|v| ≤ 2^53)"));
        Assert.That(Assert.Throws<InvalidDataException>(() => LoadFloats("BOOL", [2], 1))!.Message, Does.Contain("BOOL").And.Contain("is 2, not 0 or 1"));
    }

    [Test]
    public void Every_stored_type_holds_what_it_can_and_reads_back_exactly()
    {
        // Values every type can hold exactly (small integers; quarters for the float types): what goes in comes out.
        Gen<(SafeTensorsDtype, float[])> cases =
            from dtype in Gen.Elements(Enum.GetValues<SafeTensorsDtype>())
            from n in Gen.Choose(0, 12)
            from raw in Gen.ArrayOf(Gen.Choose(-100, 100), n)
            select (dtype, raw.Select(v => dtype switch
            {
                SafeTensorsDtype.Bool => Math.Abs(v) % 2,
                SafeTensorsDtype.U8 => Math.Abs(v),
                SafeTensorsDtype.F16 or SafeTensorsDtype.BF16 or SafeTensorsDtype.F32 or SafeTensorsDtype.F64 => v / 4f,
                _ => v,
            }).Select(v => (float)v).ToArray());

        Property property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            (SafeTensorsDtype dtype, float[] data) = c;
            var stream = new MemoryStream();
            SafeTensors.Save(stream, new Dictionary<string, Tensor<float>> { ["w"] = Tensor.FromArray(data) }, null, new Dictionary<string, SafeTensorsDtype> { ["w"] = dtype });
            stream.Position = 0;
            Assert.That(SafeTensors.Load(stream)["w"].ToArray(), Is.EqualTo(data), dtype.ToString());
            stream.Position = 0;
            Assert.That(SafeTensors.LoadDouble(stream)["w"].ToArray(), Is.EqualTo(data.Select(v => (double)v)), dtype.ToString());
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Test]
    public void Writing_rounds_to_nearest_even_as_PyTorch_does_and_names_the_stored_type()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");

        // 1 + 2^-8 lies halfway between bfloat16's 1 and 1 + 2^-7: it rounds to the even one, 1 (torch gives 1.0).
        // 1 + 3·2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: it rounds to the even one, 1 + 2^-6 (torch: 1.015625).
        float[] values = [1 + (1f / 256), 1 + (3f / 256), 0.1f, -0f];
        var tensors = new Dictionary<string, Tensor<float>> { ["b"] = Tensor.FromArray(values), ["h"] = Tensor.FromArray(values), ["d"] = Tensor.FromArray(values) };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" },
            new Dictionary<string, SafeTensorsDtype> { ["b"] = SafeTensorsDtype.BF16, ["h"] = SafeTensorsDtype.F16, ["d"] = SafeTensorsDtype.F64 });

        Assert.That(SafeTensors.Describe(path), Is.EqualTo(new[]
        {
            new SafeTensorsEntry("b", SafeTensorsDtype.BF16, [4]), new SafeTensorsEntry("h", SafeTensorsDtype.F16, [4]), new SafeTensorsEntry("d", SafeTensorsDtype.F64, [4]),
        }).Using<SafeTensorsEntry>((a, b) => a.Name == b.Name && a.Dtype == b.Dtype && a.Shape.SequenceEqual(b.Shape)));
        Dictionary<string, Tensor<float>> loaded = SafeTensors.Load(path);
        Assert.That(loaded["b"].ToArray(), Is.EqualTo(new[] { 1f, 1.015625f, 0.10009765625f, -0f }));
        Assert.That(loaded["h"].ToArray(), Is.EqualTo(new[] { 1.00390625f, 1.01171875f, 0.0999755859375f, -0f }));
        Assert.That(loaded["d"].ToArray(), Is.EqualTo(values), "F64 from float is exact");
        Assert.That(BitConverter.SingleToInt32Bits(loaded["b"][3]), Is.EqualTo(BitConverter.SingleToInt32Bits(-0f)), "the sign of zero is kept");
        Assert.That(new FileInfo(path).Length % 2, Is.Zero);
    }

    [Test]
    public void Double_tensors_are_written_as_F64_and_read_back_bit_for_bit()
    {
        using var dir = new TempDirectory();
        string path = dir.File("d.safetensors");
        var tensors = new Dictionary<string, Tensor<double>>
        {
            ["x"] = Tensor.FromArray([Math.PI, 1e-300, double.MaxValue, double.NaN, -0d]),
            ["s"] = Tensor.Scalar(2.5),
        };
        SafeTensors.Save(path, tensors);
        Assert.That(SafeTensors.Describe(path).Select(e => e.Dtype), Is.EqualTo(new[] { SafeTensorsDtype.F64, SafeTensorsDtype.F64 }));
        Dictionary<string, Tensor<double>> back = SafeTensors.LoadDouble(path);
        Assert.That(back["x"].ToArray().Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(tensors["x"].ToArray().Select(BitConverter.DoubleToInt64Bits)));
        Assert.That(back["s"].Rank, Is.Zero);

        // Into float32 the same file rounds, and refuses double.MaxValue rather than making it ∞.
        Assert.That(Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path))!.Message, Does.Contain("tensor 'x' [5]").And.Contain("element 2"));
    }

    [TestCase(SafeTensorsDtype.I64, 2.5f, "element 0 is 2.5, not an integer in I64's range")]
    [TestCase(SafeTensorsDtype.U8, -1f, "element 0 is -1, not an integer in U8's range")]
    [TestCase(SafeTensorsDtype.I8, 128f, "not an integer in I8's range")]
    [TestCase(SafeTensorsDtype.Bool, 2f, "not 0 or 1")]
    [TestCase(SafeTensorsDtype.F16, 70000f, "beyond F16's range (±65504)")]
    [TestCase(SafeTensorsDtype.BF16, float.MaxValue, "beyond BF16's range")]
    [TestCase(SafeTensorsDtype.I32, float.NaN, "element 0 is NaN")]
    public void A_value_the_stored_type_cannot_hold_is_refused_and_nothing_is_written(SafeTensorsDtype dtype, float value, string message)
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor<float>> { ["old"] = Tensor.Scalar(1f) });
        byte[] before = System.IO.File.ReadAllBytes(path);

        var tensors = new Dictionary<string, Tensor<float>> { ["a"] = Tensor.Scalar(3f), ["w"] = Tensor.FromArray([value, 1f]) };
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, tensors, null, new Dictionary<string, SafeTensorsDtype> { ["w"] = dtype }))!;
        Assert.That(e.Message, Does.Contain("SafeTensors.Save: tensor 'w' [2] cannot be stored as").And.Contain(message).And.Contain("nothing was written"));
        Assert.That(System.IO.File.ReadAllBytes(path), Is.EqualTo(before), "the existing file is untouched");
        Assert.That(Directory.GetFiles(dir.Path), Has.Length.EqualTo(1), "no temporary file is left behind");

        var stream = new MemoryStream();
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(stream, tensors, null, new Dictionary<string, SafeTensorsDtype> { ["w"] = dtype }));
        Assert.That(stream.Length, Is.Zero, "not a byte reaches a stream either");
    }

    [Test]
    public void A_dtype_for_a_tensor_that_is_not_there_is_refused()
        => Assert.That(
            Assert.Throws<ArgumentException>(() => SafeTensors.Save(new MemoryStream(), new Dictionary<string, Tensor<float>> { ["a"] = Tensor.Scalar(1f) }, null,
                new Dictionary<string, SafeTensorsDtype> { ["num_batches_tracked"] = SafeTensorsDtype.I64 }))!.Message,
            Does.Contain("dtypes names 'num_batches_tracked', which is not among the tensors"));
}
