using System.IO.Compression;

namespace Autodiff.NN.Data;

/// <summary>Opening data files that may or may not be gzip'd, with errors that name the file.</summary>
internal static class DataFiles
{
    /// <summary>
    /// Opens <paramref name="path"/> for reading, decompressing when it starts with the gzip signature 1F 8B —
    /// the content decides, not the name, so a renamed or already unpacked file reads the same.
    /// </summary>
    public static Stream Open(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"{what} not found: '{fullPath}'.", fullPath);
        }

        var file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        Span<byte> signature = stackalloc byte[2];
        int read = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && signature[0] == 0x1F && signature[1] == 0x8B
            ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: false)
            : file;
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    /// <remarks>Corrupt gzip data surfaces here, so the error is given the file's name.</remarks>
    public static int ReadUpTo(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: the gzip data is corrupt ({ex.Message}).", ex);
        }
    }
}
