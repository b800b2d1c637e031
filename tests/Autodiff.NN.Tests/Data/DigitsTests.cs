using System.Text;
using Autodiff.NN.Data;

namespace Autodiff.NN.Tests.Data;

/// <summary>The digits CSV reader on small files written here, on malformed rows, and on the real file when present.</summary>
[TestFixture]
public sealed class DigitsTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static string Row(int fill, int label, int first = 0)
        => string.Join(",", Enumerable.Repeat(fill, 64).Select((v, i) => i == 0 ? first : v).Append(label));

    private string Write(string text, bool gzip = true)
    {
        string path = _dir.File(gzip ? "digits.csv.gz" : "digits.csv");
        IdxTests.WriteFile(path, Encoding.UTF8.GetBytes(text), gzip);
        return path;
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Reads_rows_into_features_scaled_by_16_and_labels(bool gzip)
    {
        string path = Write($"{Row(16, 3, first: 8)}\n{Row(0, 0)}\r\n\n{Row(4, 9)}\n", gzip);
        Dataset data = Digits.Load(path);
        Assert.That(data.Features.ShapeArray(), Is.EqualTo(new[] { 3, 64 }));
        Assert.That(data.Labels, Is.EqualTo(new[] { 3, 0, 9 }));
        Assert.That(data.Features[0, 0], Is.EqualTo(0.5f));
        Assert.That(data.Features[0, 63], Is.EqualTo(1f));
        Assert.That(data.Features[1, 10], Is.EqualTo(0f));
        Assert.That(data.Features[2, 5], Is.EqualTo(0.25f));
    }

    [Test]
    public void A_row_with_the_wrong_number_of_values_names_its_line()
    {
        string path = Write($"{Row(1, 1)}\n{Row(1, 1)},5\n");
        var ex = Assert.Throws<InvalidDataException>(() => Digits.Load(path));
        Assert.That(ex!.Message, Does.Contain("line 2").And.Contain("expected 65").And.Contain("found 66").And.Contain(path));
    }

    [Test]
    public void A_value_that_is_not_an_integer_names_line_and_column()
    {
        string path = Write(Row(1, 1).Replace("1,1,1", "1,x1,1", StringComparison.Ordinal) + "\n");
        var ex = Assert.Throws<InvalidDataException>(() => Digits.Load(path));
        Assert.That(ex!.Message, Does.Contain("line 1").And.Contain("column 3").And.Contain("'x1' is not an integer"));
    }

    [Test]
    public void Pixels_outside_0_to_16_and_labels_outside_0_to_9_are_rejected()
    {
        string path = Write($"{Row(1, 1)}\n{Row(1, 1)}\n{Row(17, 1)}\n");
        Assert.That(Assert.Throws<InvalidDataException>(() => Digits.Load(path))!.Message,
            Does.Contain("line 3").And.Contain("column 2").And.Contain("pixel value 17"));
        path = Write($"{Row(1, 10)}\n");
        Assert.That(Assert.Throws<InvalidDataException>(() => Digits.Load(path))!.Message,
            Does.Contain("line 1").And.Contain("column 65").And.Contain("label 10"));
        path = Write($"{Row(1, 1, first: -1)}\n");
        Assert.That(Assert.Throws<InvalidDataException>(() => Digits.Load(path))!.Message, Does.Contain("pixel value -1"));
    }

    [Test]
    public void An_empty_file_and_a_missing_file_are_reported()
    {
        string path = Write("\n\n");
        Assert.That(Assert.Throws<InvalidDataException>(() => Digits.Load(path))!.Message, Does.Contain("no rows"));
        string missing = _dir.File("missing.csv.gz");
        Assert.That(Assert.Throws<FileNotFoundException>(() => Digits.Load(missing))!.Message, Does.Contain(missing));
    }

    [Test]
    public void The_real_file_has_1797_images_of_64_pixels_and_ten_classes()
    {
        string? path = FindRealFile();
        if (path is null)
        {
            Assert.Ignore("digits.csv.gz is in neither examples/data/ nor ../shared/data/digits/ of the repository.");
        }

        Dataset data = Digits.Load(path);
        Assert.That(data.Features.ShapeArray(), Is.EqualTo(new[] { 1797, 64 }));
        Assert.That(data.Labels.Distinct().Order(), Is.EqualTo(Enumerable.Range(0, 10)));
        Assert.That(data.Features.ToArray().Min(), Is.Zero);
        Assert.That(data.Features.ToArray().Max(), Is.EqualTo(1f));

        // The first row of the file: a zero, drawn as 0,0,5,13,9,1,0,0 in its top pixel row.
        Assert.That(data.Features.Span[..8].ToArray(), Is.EqualTo(new[] { 0, 0, 5, 13, 9, 1, 0, 0 }.Select(v => v / 16f)));
        Assert.That(data.Labels[0], Is.EqualTo(0));
    }

    /// <summary>The repository root is the first folder above the tests' output that holds Autodiff.sln.</summary>
    private static string? FindRealFile()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Autodiff.sln")))
            {
                continue;
            }

            string[] candidates =
            [
                Path.Combine(dir.FullName, "examples", "data", "digits.csv.gz"),
                Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "digits", "digits.csv.gz")),
            ];
            return candidates.FirstOrDefault(File.Exists);
        }

        return null;
    }
}
