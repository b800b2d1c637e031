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
        if (read < 2 || signature[0] != 0x1F || signature[1] != 0x8B)
        {
            file.Position = 0;
            return file;
        }

        // The gzip trailer ends with the uncompressed size mod 2³². GZipStream just stops at the end of a truncated
        // file, which would hand the reader a shorter file that may well parse (a CSV cut at a line end); comparing the
        // size read with the trailer's catches the truncation.
        Span<byte> trailer = stackalloc byte[4];
        uint declared = 0;
        if (file.Length >= 18)
        {
            file.Position = file.Length - 4;
            file.ReadExactly(trailer);
            declared = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        }

        file.Position = 0;
        return new CheckedGZipStream(new GZipStream(file, CompressionMode.Decompress, leaveOpen: false), declared, file.Length >= 18);
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

    /// <summary>
    /// Reads <paramref name="count"/> bytes, allocating no more than the stream holds: a header that declares
    /// gigabytes in a file of a few bytes must not cost gigabytes. A seekable stream is measured first; any other
    /// (gzip) is read into a buffer that grows as data arrives. <paramref name="got"/> is less than
    /// <paramref name="count"/> when the stream ends first; the returned array is then not to be used.
    /// </summary>
    public static byte[] ReadBounded(Stream stream, int count, string path, out long got)
    {
        const int Chunk = 1 << 20;
        if (stream.CanSeek && stream.Length - stream.Position < count)
        {
            got = stream.Length - stream.Position;
            return [];
        }

        if (stream.CanSeek || count <= Chunk)
        {
            var data = new byte[count];
            got = ReadUpTo(stream, data, path);
            return data;
        }

        var buffer = new byte[Chunk];
        int total = 0;
        while (total < count)
        {
            if (total == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, count));
            }

            int n = ReadUpTo(stream, buffer.AsSpan(total), path);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        got = total;
        return buffer;
    }

    /// <summary>A decompressing stream that, at its end, checks the size read against the gzip trailer's.</summary>
    private sealed class CheckedGZipStream(GZipStream inner, uint declaredSize, bool hasTrailer) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            if (n == 0 && buffer.Length > 0 && (!hasTrailer || (uint)_read != declaredSize))
            {
                throw new InvalidDataException(hasTrailer
                    ? $"the stream ends after {_read} bytes but its trailer declares {declaredSize} (mod 2³²): the file is truncated or damaged"
                    : "the file is too short to hold a gzip header and trailer");
            }

            _read += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
