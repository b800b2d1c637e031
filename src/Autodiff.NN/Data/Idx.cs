using System.Buffers.Binary;

namespace Autodiff.NN.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST, plain or gzip'd: two zero bytes, an element-type byte, the
/// number of dimensions, one big-endian 32-bit size per dimension, then the elements in row-major order.
/// </summary>
/// <remarks>Only unsigned bytes (type 0x08) are read: that is what the image and label files of these data sets hold.</remarks>
public static class Idx
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX file of unsigned bytes (gzip'd or not, told apart by the content).</summary>
    /// <param name="path">The file, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <returns>The size of each dimension and the elements in row-major order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not IDX, holds another element type, or has fewer or more data bytes than its sizes say.
    /// </exception>
    public static (int[] Shape, byte[] Data) Read(string path)
    {
        using Stream stream = DataFiles.Open(path, "IDX file");
        return Read(stream, path);
    }

    /// <summary>
    /// Reads an image file and its label file into a <see cref="Dataset"/>: features [N, rows·cols] (each image
    /// flattened row-major) multiplied by <paramref name="scale"/>, labels the N label bytes.
    /// </summary>
    /// <param name="imagesPath">The IDX file of images, shape [N, rows, cols].</param>
    /// <param name="labelsPath">The IDX file of labels, shape [N].</param>
    /// <param name="scale">The factor applied to each pixel byte; 1/255 maps 0…255 to [0, 1].</param>
    public static Dataset LoadImagesAndLabels(string imagesPath, string labelsPath, float scale = 1f / 255f)
    {
        (int[] imageShape, byte[] pixels) = Read(imagesPath);
        (int[] labelShape, byte[] labelBytes) = Read(labelsPath);
        if (imageShape.Length < 2)
        {
            throw new InvalidDataException($"{imagesPath}: expected images of shape [N, rows, cols], found shape {Dataset.FormatShape(imageShape)}.");
        }

        if (labelShape.Length != 1)
        {
            throw new InvalidDataException($"{labelsPath}: expected labels of shape [N], found shape {Dataset.FormatShape(labelShape)}.");
        }

        if (labelShape[0] != imageShape[0])
        {
            throw new InvalidDataException(
                $"{imagesPath} holds {imageShape[0]} images but {labelsPath} holds {labelShape[0]} labels; they must be a matching pair.");
        }

        int n = imageShape[0];
        int sampleSize = n == 0 ? imageShape[1..].Aggregate(1, (a, b) => checked(a * b)) : pixels.Length / n;
        var features = Tensor.Zeros<float>(n, sampleSize);
        Span<float> destination = features.MutableSpan();
        for (int i = 0; i < pixels.Length; i++)
        {
            destination[i] = pixels[i] * scale;
        }

        return new Dataset(features, [.. labelBytes.Select(b => (int)b)]);
    }

    private static (int[] Shape, byte[] Data) Read(Stream stream, string path)
    {
        Span<byte> header = stackalloc byte[4];
        int read = DataFiles.ReadUpTo(stream, header, path);
        if (read < 4)
        {
            throw new InvalidDataException($"{path}: not an IDX file — it has {read} bytes, fewer than the 4-byte magic number.");
        }

        if (header[0] != 0 || header[1] != 0)
        {
            throw new InvalidDataException(
                $"{path}: not an IDX file — the magic number starts 0x{header[0]:X2} 0x{header[1]:X2}; IDX files start with 0x00 0x00.");
        }

        if (header[2] != UnsignedByte)
        {
            throw new InvalidDataException(
                $"{path}: IDX element type 0x{header[2]:X2} ({TypeName(header[2])}) is not supported; only 0x08 (unsigned byte, as in MNIST) is.");
        }

        int rank = header[3];
        if (rank == 0)
        {
            throw new InvalidDataException($"{path}: the IDX header declares 0 dimensions.");
        }

        var sizeBytes = new byte[4 * rank];
        if (DataFiles.ReadUpTo(stream, sizeBytes, path) < sizeBytes.Length)
        {
            throw new InvalidDataException($"{path}: truncated IDX header — {rank} dimension sizes declared but the file ends before them.");
        }

        var shape = new int[rank];
        long total = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(sizeBytes.AsSpan(4 * d));
            total *= size;
            if (size > int.MaxValue || total > Array.MaxLength)
            {
                throw new InvalidDataException(
                    $"{path}: IDX dimension {d} has size {size}, which makes the data larger than an array can hold ({Array.MaxLength} bytes).");
            }

            shape[d] = (int)size;
        }

        byte[] data = DataFiles.ReadBounded(stream, (int)total, path, out long got);
        if (got < total)
        {
            throw new InvalidDataException(
                $"{path}: truncated IDX data — shape {Dataset.FormatShape(shape)} needs {total} bytes but only {got} follow the header.");
        }

        Span<byte> probe = stackalloc byte[1];
        if (DataFiles.ReadUpTo(stream, probe, path) != 0)
        {
            throw new InvalidDataException(
                $"{path}: extra bytes after the IDX data — shape {Dataset.FormatShape(shape)} accounts for {data.Length} bytes but the file holds more.");
        }

        return (shape, data);
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "unknown type",
    };
}
