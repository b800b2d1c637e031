using System.IO.Compression;
using Autodiff.NN.Data;

namespace Autodiff.NN.Tests.Data;

/// <summary>The IDX reader on small files written here, plain and gzip'd, good and broken; Fashion-MNIST's loader.</summary>
[TestFixture]
public sealed class IdxTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    /// <summary>An IDX file: 0, 0, type, rank, big-endian sizes, then the data.</summary>
    internal static byte[] IdxBytes(int[] shape, byte[] data, byte type = 0x08)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)shape.Length };
        foreach (int d in shape)
        {
            bytes.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        }

        bytes.AddRange(data);
        return [.. bytes];
    }

    internal static void WriteFile(string path, byte[] content, bool gzip)
    {
        using FileStream file = File.Create(path);
        if (gzip)
        {
            using var zip = new GZipStream(file, CompressionLevel.Fastest);
            zip.Write(content);
        }
        else
        {
            file.Write(content);
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Reads_shape_and_bytes_plain_or_gzipped(bool gzip)
    {
        byte[] data = [.. Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10))];
        string path = _dir.File(gzip ? "x-idx3-ubyte.gz" : "x-idx3-ubyte");
        WriteFile(path, IdxBytes([2, 3, 4], data), gzip);
        (int[] shape, byte[] read) = Idx.Read(path);
        Assert.That(shape, Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(read, Is.EqualTo(data));
    }

    [Test]
    public void Gzip_is_recognised_by_content_not_by_name()
    {
        string path = _dir.File("labels.bin");
        WriteFile(path, IdxBytes([3], [7, 8, 9]), gzip: true);
        Assert.That(Idx.Read(path).Data, Is.EqualTo(new byte[] { 7, 8, 9 }));
    }

    [Test]
    public void Sizes_are_big_endian()
    {
        byte[] data = new byte[300];
        string path = _dir.File("big");
        WriteFile(path, IdxBytes([300], data), gzip: false);
        Assert.That(Idx.Read(path).Shape, Is.EqualTo(new[] { 300 }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void A_bad_magic_number_is_rejected(bool gzip)
    {
        string path = _dir.File("bad");
        byte[] bytes = IdxBytes([2], [1, 2]);
        bytes[0] = 0x12;
        bytes[1] = 0x34;
        WriteFile(path, bytes, gzip);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.That(ex!.Message, Does.Contain("not an IDX file").And.Contain("0x12 0x34").And.Contain(path));
    }

    [TestCase(0x0D, "32-bit float")]
    [TestCase(0x0B, "16-bit integer")]
    [TestCase(0x42, "unknown")]
    public void Element_types_other_than_unsigned_byte_are_rejected_by_name(int type, string name)
    {
        string path = _dir.File("typed");
        WriteFile(path, IdxBytes([1], [0, 0, 0, 0], (byte)type), gzip: false);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.That(ex!.Message, Does.Contain($"0x{type:X2}").And.Contain(name).And.Contain("only 0x08"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Truncated_data_is_rejected_with_the_sizes(bool gzip)
    {
        string path = _dir.File("short");
        WriteFile(path, IdxBytes([2, 5], new byte[7]), gzip);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.That(ex!.Message, Does.Contain("truncated").And.Contain("[2, 5]").And.Contain("10 bytes").And.Contain("only 7"));
    }

    [Test]
    public void Truncated_headers_trailing_bytes_and_empty_files_are_rejected()
    {
        string path = _dir.File("f");
        WriteFile(path, IdxBytes([2, 5], [])[..9], gzip: false);
        Assert.That(Assert.Throws<InvalidDataException>(() => Idx.Read(path))!.Message, Does.Contain("truncated IDX header"));
        WriteFile(path, IdxBytes([2], [1, 2, 3]), gzip: false);
        Assert.That(Assert.Throws<InvalidDataException>(() => Idx.Read(path))!.Message, Does.Contain("extra bytes"));
        WriteFile(path, [], gzip: false);
        Assert.That(Assert.Throws<InvalidDataException>(() => Idx.Read(path))!.Message, Does.Contain("0 bytes"));
    }

    [Test]
    public void Corrupt_gzip_names_the_file()
    {
        string path = _dir.File("corrupt.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 0x08, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
        Assert.That(ex!.Message, Does.Contain(path));
    }

    [Test]
    public void A_missing_file_is_named()
    {
        string path = _dir.File("nope-idx1-ubyte.gz");
        var ex = Assert.Throws<FileNotFoundException>(() => Idx.Read(path));
        Assert.That(ex!.Message, Does.Contain(path));
        Assert.That(ex!.FileName, Is.EqualTo(path));
    }

    [Test]
    public void Images_and_labels_become_flattened_scaled_features()
    {
        string images = _dir.File("images.gz"), labels = _dir.File("labels.gz");
        WriteFile(images, IdxBytes([3, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]), gzip: true);
        WriteFile(labels, IdxBytes([3], [9, 0, 4]), gzip: true);
        Dataset data = Idx.LoadImagesAndLabels(images, labels);
        Assert.That(data.Features.ShapeArray(), Is.EqualTo(new[] { 3, 4 }));
        Assert.That(data.Features.Span[..4].ToArray(), Is.EqualTo(new[] { 0f, 1f, 0.2f, 0.4f }).Within(1e-6f));
        Assert.That(data.Labels, Is.EqualTo(new[] { 9, 0, 4 }));

        Dataset raw = Idx.LoadImagesAndLabels(images, labels, scale: 1f);
        Assert.That(raw.Features.Span[4..8].ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
    }

    [Test]
    public void Image_and_label_files_that_do_not_pair_up_are_rejected()
    {
        string images = _dir.File("images"), labels = _dir.File("labels");
        WriteFile(images, IdxBytes([3, 1, 1], [1, 2, 3]), gzip: false);
        WriteFile(labels, IdxBytes([2], [1, 2]), gzip: false);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.LoadImagesAndLabels(images, labels));
        Assert.That(ex!.Message, Does.Contain("3 images").And.Contain("2 labels"));

        WriteFile(labels, IdxBytes([3, 1], [1, 2, 3]), gzip: false);
        ex = Assert.Throws<InvalidDataException>(() => Idx.LoadImagesAndLabels(images, labels));
        Assert.That(ex!.Message, Does.Contain("shape [N]").And.Contain("[3, 1]"));
    }

    [Test]
    public void Fashion_mnist_loads_the_four_files_of_a_folder()
    {
        WriteFile(_dir.File("train-images-idx3-ubyte.gz"), IdxBytes([2, 2, 2], [0, 0, 0, 255, 255, 0, 0, 0]), gzip: true);
        WriteFile(_dir.File("train-labels-idx1-ubyte.gz"), IdxBytes([2], [3, 5]), gzip: true);
        WriteFile(_dir.File("t10k-images-idx3-ubyte"), IdxBytes([1, 2, 2], [1, 1, 1, 1]), gzip: false);
        WriteFile(_dir.File("t10k-labels-idx1-ubyte"), IdxBytes([1], [9]), gzip: false);
        (Dataset train, Dataset test) = FashionMnist.Load(_dir.Path);
        Assert.That(train.Features.ShapeArray(), Is.EqualTo(new[] { 2, 4 }));
        Assert.That(train.Labels, Is.EqualTo(new[] { 3, 5 }));
        Assert.That(test.Count, Is.EqualTo(1));
        Assert.That(FashionMnist.ClassNames[test.Labels[0]], Is.EqualTo("Ankle boot"));
    }

    [Test]
    public void A_missing_fashion_mnist_says_how_to_install_it()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(_dir.Path));
        Assert.That(ex!.Message, Does.Contain("apt-get install dataset-fashion-mnist").And.Contain("train-images-idx3-ubyte.gz").And.Contain(_dir.Path));
    }

    [Test]
    public void The_installed_fashion_mnist_has_60000_and_10000_images_when_present()
    {
        if (!Directory.Exists(FashionMnist.DefaultDirectory))
        {
            Assert.Ignore($"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory} (apt-get install dataset-fashion-mnist).");
        }

        (Dataset train, Dataset test) = FashionMnist.Load();
        Assert.That(train.Features.ShapeArray(), Is.EqualTo(new[] { 60_000, 784 }));
        Assert.That(test.Features.ShapeArray(), Is.EqualTo(new[] { 10_000, 784 }));
        Assert.That(train.Labels.CountBy(l => l).Select(p => p.Value), Has.All.EqualTo(6_000), "balanced classes");
        Assert.That(test.Labels.CountBy(l => l).Select(p => p.Value), Has.All.EqualTo(1_000));
        Assert.That(train.ClassCount, Is.EqualTo(10));
        Assert.That(test.Features.ToArray().Min(), Is.Zero);
        Assert.That(test.Features.ToArray().Max(), Is.EqualTo(1f));
    }
}
