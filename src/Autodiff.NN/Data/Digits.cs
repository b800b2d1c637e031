using System.Globalization;
using System.Text;

namespace Autodiff.NN.Data;

/// <summary>
/// The UCI optical recognition of handwritten digits data set in the form scikit-learn ships it: a CSV file
/// (gzip'd or not), one row per 8×8 image — 64 pixel values 0…16 in row-major order, then the label 0…9.
/// </summary>
/// <remarks>
/// 1,797 samples, small enough to train a network on in seconds, which makes it the project's default data set.
/// E. Alpaydin, C. Kaynak (1998), UCI Machine Learning Repository, CC BY 4.0.
/// </remarks>
public static class Digits
{
    /// <summary>Pixels per image (8×8).</summary>
    public const int PixelCount = 64;

    /// <summary>The largest pixel value; features are divided by it.</summary>
    public const int MaxPixel = 16;

    /// <summary>The number of classes (the digits 0…9).</summary>
    public const int ClassCount = 10;

    /// <summary>Loads the CSV into a <see cref="Dataset"/> with features [N, 64] scaled to [0, 1] (pixel ÷ 16).</summary>
    /// <param name="path">The file, e.g. <c>digits.csv.gz</c>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A row is malformed; the message gives the line number and what is wrong.</exception>
    public static Dataset Load(string path)
    {
        using Stream stream = DataFiles.Open(path, "Digits CSV file");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var features = new List<float>(1797 * PixelCount);
        var labels = new List<int>(1797);
        int lineNumber = 0;
        while (ReadLine(reader, path) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            ParseRow(line, lineNumber, path, features, labels);
        }

        if (labels.Count == 0)
        {
            throw new InvalidDataException($"{path}: no rows; expected lines of {PixelCount} pixel values and a label.");
        }

        return new Dataset(Tensor.FromArray<float>(features.ToArray(), labels.Count, PixelCount), [.. labels]);
    }

    private static void ParseRow(string line, int lineNumber, string path, List<float> features, List<int> labels)
    {
        ReadOnlySpan<char> rest = line;
        int fieldCount = rest.Count(',') + 1;
        if (fieldCount != PixelCount + 1)
        {
            throw new InvalidDataException(
                $"{path}, line {lineNumber}: expected {PixelCount + 1} comma-separated values ({PixelCount} pixels, then the label), found {fieldCount}.");
        }

        for (int column = 1; column <= PixelCount + 1; column++)
        {
            int comma = rest.IndexOf(',');
            ReadOnlySpan<char> field = comma < 0 ? rest : rest[..comma];
            rest = comma < 0 ? [] : rest[(comma + 1)..];
            if (!int.TryParse(field, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            {
                throw new InvalidDataException($"{path}, line {lineNumber}, column {column}: '{field}' is not an integer.");
            }

            if (column <= PixelCount)
            {
                if (value is < 0 or > MaxPixel)
                {
                    throw new InvalidDataException(
                        $"{path}, line {lineNumber}, column {column}: pixel value {value} is outside 0…{MaxPixel}.");
                }

                features.Add(value / (float)MaxPixel);
            }
            else
            {
                if (value is < 0 or >= ClassCount)
                {
                    throw new InvalidDataException(
                        $"{path}, line {lineNumber}, column {column}: label {value} is outside 0…{ClassCount - 1}.");
                }

                labels.Add(value);
            }
        }
    }

    private static string? ReadLine(StreamReader reader, string path)
    {
        try
        {
            return reader.ReadLine();
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: the gzip data is corrupt ({ex.Message}).", ex);
        }
    }
}
