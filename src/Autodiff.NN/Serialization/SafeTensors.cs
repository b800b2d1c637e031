using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Autodiff.NN.Serialization;

/// <summary>
/// Reads and writes the safetensors format of Hugging Face — the weight files that PyTorch's
/// <c>safetensors.torch.load_file</c> and <c>save_file</c> use — for float32 tensors.
/// </summary>
/// <remarks>
/// <para>
/// Layout: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON,
/// <c>{"__metadata__": {"key": "value", …}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …}</c>,
/// padded with spaces so that the data starts at a multiple of 8; then the raw little-endian elements, each
/// tensor's at [begin, end) counted from the start of the data section, the tensors back to back with no gaps.
/// </para>
/// <para>
/// Only F32 is read. Other dtypes, F64 included, are rejected with a message naming the tensor and its dtype
/// rather than converted: narrowing F64 or widening F16/BF16 would make the loaded weights differ from the saved
/// ones without a word. Convert on the Python side (<c>t.float()</c>) when that is what you want.
/// </para>
/// <para>
/// Loading validates as strictly as the reference implementation: header length within the file, valid JSON, every
/// field present and well-typed, byte ranges that match the shapes, lie inside the data section, do not overlap, and
/// cover it exactly; names must be unique. Each problem raises an <see cref="InvalidDataException"/> that says what
/// is wrong and where.
/// </para>
/// </remarks>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    private const string Float32 = "F32";

    // The reference implementation refuses larger headers, so a corrupt length cannot make us allocate gigabytes.
    private const ulong MaxHeaderLength = 100_000_000;

    private static readonly string[] s_knownDtypes =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64"];

    /// <summary>
    /// Writes <paramref name="tensors"/> to a file, in the dictionary's enumeration order (pass a
    /// <see cref="SortedDictionary{TKey, TValue}"/> for an order independent of insertion).
    /// </summary>
    /// <remarks>The file is written beside its final name and then moved into place, so a crash never leaves a half-written file.</remarks>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c> (PyTorch writes <c>{"format": "pt"}</c>).</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor<float>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string temporary = $"{fullPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Save(stream, tensors, metadata);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="stream"/> at its current position, in enumeration order.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>.</param>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor<float>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (Tensor<float> tensor in tensors.Values)
        {
            WriteLittleEndian(stream, tensor.Span);
        }

        stream.Flush();
    }

    /// <summary>Reads every tensor of a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors by name, in the header's order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or holds a dtype other than F32.</exception>
    public static Dictionary<string, Tensor<float>> Load(string path) => LoadWithMetadata(path).Tensors;

    /// <summary>Reads every tensor from a stream holding a safetensors file, from its current position to its end.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <returns>The tensors by name, in the header's order.</returns>
    /// <exception cref="InvalidDataException">The content is malformed or holds a dtype other than F32.</exception>
    public static Dictionary<string, Tensor<float>> Load(Stream stream) => LoadWithMetadata(stream).Tensors;

    /// <summary>Reads every tensor of a safetensors file, and the <c>__metadata__</c> pairs (empty when absent).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or holds a dtype other than F32.</exception>
    public static (Dictionary<string, Tensor<float>> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"safetensors file not found: '{fullPath}'.", fullPath);
        }

        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, fullPath);
    }

    /// <summary>Reads every tensor and the <c>__metadata__</c> pairs from a stream, from its current position to its end.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <exception cref="InvalidDataException">The content is malformed or holds a dtype other than F32.</exception>
    public static (Dictionary<string, Tensor<float>> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, "stream");
    }

    private static byte[] BuildHeader(IReadOnlyDictionary<string, Tensor<float>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();

        // Relaxed escaping keeps names such as "layer+1" or non-ASCII ones readable in the header; the result is
        // still plain JSON that any parser accepts.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach ((string key, string value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(value, $"metadata[\"{key}\"]");
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            ulong offset = 0;
            foreach ((string name, Tensor<float> tensor) in tensors)
            {
                if (name == MetadataKey)
                {
                    throw new ArgumentException($"SafeTensors.Save: '{MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
                }

                ArgumentNullException.ThrowIfNull(tensor, $"tensors[\"{name}\"]");
                ulong end = offset + ((ulong)tensor.Size * sizeof(float));
                json.WriteStartObject(name);
                json.WriteString("dtype", Float32);
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        // Spaces are JSON whitespace, so the padding that aligns the data to 8 bytes needs no special parsing.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteLittleEndian(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        var swapped = new int[values.Length];
        BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(values), swapped);
        stream.Write(MemoryMarshal.AsBytes(swapped.AsSpan()));
    }

    private static (Dictionary<string, Tensor<float>>, Dictionary<string, string>) Read(Stream stream, string source)
    {
        long? available = stream.CanSeek ? stream.Length - stream.Position : null;
        Span<byte> lengthBytes = stackalloc byte[8];
        int got = stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false);
        if (got < 8)
        {
            throw Invalid(source, $"{got} bytes is too short for a safetensors file, which starts with an 8-byte header length.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (available is long total && headerLength > (ulong)(total - 8))
        {
            throw Invalid(source, $"the header length {headerLength} is beyond the end of the file (only {total - 8} bytes follow the length field).");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Invalid(source, $"the header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes; the file is probably not safetensors.");
        }

        byte[] header = ReadHeader(stream, (int)headerLength, source);

        (List<Entry> entries, Dictionary<string, string> metadata) = ParseHeader(header, source);
        long? dataLength = available - 8 - (long)headerLength;
        CheckLayout(entries, dataLength, source);
        return (ReadData(stream, entries, source), metadata);
    }

    /// <summary>
    /// Reads the header. From a stream whose length is unknown, the buffer grows with what actually arrives (from
    /// 1 MB, doubling), so that a few bytes declaring a 100 MB header cost at most 2 MB before they are rejected.
    /// </summary>
    private static byte[] ReadHeader(Stream stream, int length, string source)
    {
        var header = new byte[stream.CanSeek ? length : Math.Min(length, ChunkBytes)];
        int filled = 0;
        while (true)
        {
            filled += stream.ReadAtLeast(header.AsSpan(filled), header.Length - filled, throwOnEndOfStream: false);
            if (filled < header.Length)
            {
                throw Invalid(source, $"the header length {length} is beyond the end of the file (only {filled} bytes follow the length field).");
            }

            if (filled == length)
            {
                return header;
            }

            Array.Resize(ref header, (int)Math.Min(length, 2L * header.Length));
        }
    }

    private static (List<Entry>, Dictionary<string, string>) ParseHeader(byte[] header, string source)
    {
        // The parser accepts invalid UTF-8 inside strings and only fails (with an InvalidOperationException) when a
        // name is read, so the encoding is checked first.
        if (!System.Text.Unicode.Utf8.IsValid(header))
        {
            throw Invalid(source, "the header is not valid UTF-8 text.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw Invalid(source, $"the header is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, $"the header must be a JSON object; it is a {document.RootElement.ValueKind}.");
            }

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw Invalid(source, $"the header names '{property.Name}' twice.");
                }

                if (property.Name == MetadataKey)
                {
                    ParseMetadata(property.Value, metadata, source);
                }
                else
                {
                    entries.Add(ParseEntry(property.Name, property.Value, entries.Count, source));
                }
            }

            return (entries, metadata);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"'{MetadataKey}' must be an object of strings; it is a {value.ValueKind}.");
        }

        foreach (JsonProperty pair in value.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
            {
                throw Invalid(source, $"'{MetadataKey}' entry '{pair.Name}' must be a string; it is a {pair.Value.ValueKind}.");
            }

            if (!metadata.TryAdd(pair.Name, pair.Value.GetString()!))
            {
                throw Invalid(source, $"'{MetadataKey}' names '{pair.Name}' twice.");
            }
        }
    }

    private static Entry ParseEntry(string name, JsonElement value, int index, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(source, $"tensor '{name}' must be described by an object with dtype, shape and data_offsets; it is a {value.ValueKind}.");
        }

        JsonElement dtype = Field(value, name, "dtype", JsonValueKind.String, source);
        JsonElement shapeArray = Field(value, name, "shape", JsonValueKind.Array, source);
        JsonElement offsetArray = Field(value, name, "data_offsets", JsonValueKind.Array, source);

        string type = dtype.GetString()!;
        if (type != Float32)
        {
            throw Invalid(source, s_knownDtypes.Contains(type)
                ? $"tensor '{name}' has dtype {type}; only F32 is supported (convert it to float32 before saving, e.g. t.float() in PyTorch)."
                : $"tensor '{name}' has unknown dtype '{type}'.");
        }

        var shape = new int[shapeArray.GetArrayLength()];
        int d = 0;
        foreach (JsonElement extent in shapeArray.EnumerateArray())
        {
            if (extent.ValueKind != JsonValueKind.Number || !extent.TryGetInt32(out int size) || size < 0)
            {
                throw Invalid(source, $"tensor '{name}': shape entry {d} is {extent.GetRawText()}, not a non-negative integer.");
            }

            shape[d++] = size;
        }

        // Stopping at the first product beyond an array's capacity keeps the count from overflowing; a zero
        // extent anywhere makes the tensor empty whatever the others are.
        ulong elements = shape.Contains(0) ? 0UL : 1UL;
        for (int i = 0; i < shape.Length && elements > 0; i++)
        {
            elements *= (ulong)shape[i];
            if (elements > (ulong)Array.MaxLength)
            {
                throw Invalid(source, $"tensor '{name}': shape {Format(shape)} has more elements than a tensor can hold.");
            }
        }

        if (offsetArray.GetArrayLength() != 2)
        {
            throw Invalid(source, $"tensor '{name}': data_offsets must be [begin, end]; it has {offsetArray.GetArrayLength()} entries.");
        }

        ulong begin = Offset(offsetArray[0], name, "begin", source);
        ulong end = Offset(offsetArray[1], name, "end", source);
        if (end < begin)
        {
            throw Invalid(source, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin.");
        }

        ulong bytes = elements * sizeof(float);
        if (end - begin != bytes)
        {
            throw Invalid(source,
                $"tensor '{name}': shape {Format(shape)} of {type} needs {elements} × 4 = {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}.");
        }

        return new Entry(name, shape, begin, end, index);
    }

    private static JsonElement Field(JsonElement tensor, string name, string field, JsonValueKind kind, string source)
    {
        if (!tensor.TryGetProperty(field, out JsonElement value))
        {
            throw Invalid(source, $"tensor '{name}' has no '{field}' field.");
        }

        if (value.ValueKind != kind)
        {
            throw Invalid(source, $"tensor '{name}': '{field}' must be a {kind}; it is {value.GetRawText()}.");
        }

        return value;
    }

    private static ulong Offset(JsonElement value, string name, string which, string source)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetUInt64(out ulong offset))
        {
            throw Invalid(source, $"tensor '{name}': data_offsets {which} is {value.GetRawText()}, not a non-negative integer.");
        }

        return offset;
    }

    /// <summary>Checks that the byte ranges lie in the data section, do not overlap, and leave no byte uncovered.</summary>
    private static void CheckLayout(List<Entry> entries, long? dataLength, string source)
    {
        if (dataLength is long length)
        {
            foreach (Entry e in entries)
            {
                if (e.End > (ulong)length)
                {
                    throw Invalid(source, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] reach beyond the data section, which has {length} bytes.");
                }
            }
        }

        // Sorting by end as well puts an empty tensor before a non-empty one that starts at the same byte.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        ulong covered = 0;
        Entry? previous = null;
        foreach (Entry e in entries)
        {
            if (e.Begin < covered)
            {
                throw Invalid(source,
                    $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}) and '{e.Name}' [{e.Begin}, {e.End}) overlap in the data section.");
            }

            if (e.Begin > covered)
            {
                throw Invalid(source, $"bytes [{covered}, {e.Begin}) of the data section belong to no tensor (before '{e.Name}').");
            }

            covered = e.End;
            previous = e;
        }

        if (dataLength is long total && (ulong)total > covered)
        {
            throw Invalid(source, $"bytes [{covered}, {total}) at the end of the data section belong to no tensor.");
        }
    }

    private static Dictionary<string, Tensor<float>> ReadData(Stream stream, List<Entry> entries, string source)
    {
        // Entries are in offset order here, so the data section is read front to back without seeking.
        foreach (Entry e in entries)
        {
            // A seekable stream's length was checked against every range already. Of any other stream we cannot know
            // the length, and a header may declare gigabytes: read a large tensor in chunks first, so that what is
            // allocated is what the stream really holds.
            List<byte[]>? chunks = null;
            if (!stream.CanSeek && e.End - e.Begin > ChunkBytes)
            {
                chunks = ReadChunks(stream, e, source);
            }

            var tensor = Tensor.Zeros<float>(e.Shape);
            Span<byte> bytes = MemoryMarshal.AsBytes(tensor.MutableSpan());
            if (chunks is not null)
            {
                int at = 0;
                foreach (byte[] chunk in chunks)
                {
                    chunk.CopyTo(bytes[at..]);
                    at += chunk.Length;
                }
            }
            else
            {
                int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
                if (got < bytes.Length)
                {
                    throw Invalid(source, $"the data section ends at byte {e.Begin + (ulong)got}, inside tensor '{e.Name}' [{e.Begin}, {e.End}).");
                }
            }

            if (!BitConverter.IsLittleEndian)
            {
                Span<int> words = MemoryMarshal.Cast<float, int>(tensor.MutableSpan());
                BinaryPrimitives.ReverseEndianness(words, words);
            }

            e.Tensor = tensor;
        }

        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
        {
            ulong end = entries.Count == 0 ? 0 : entries[^1].End;
            throw Invalid(source, $"bytes from {end} on at the end of the data section belong to no tensor.");
        }

        // The header's order, which is the order the writer chose (and enumerates back the same way).
        return entries.OrderBy(e => e.Index).ToDictionary(e => e.Name, e => e.Tensor!);
    }

    private const int ChunkBytes = 1 << 20;

    private static List<byte[]> ReadChunks(Stream stream, Entry e, string source)
    {
        var chunks = new List<byte[]>();
        ulong remaining = e.End - e.Begin;
        while (remaining > 0)
        {
            var chunk = new byte[(int)Math.Min(remaining, ChunkBytes)];
            int got = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            if (got < chunk.Length)
            {
                ulong at = e.End - remaining + (ulong)got;
                throw Invalid(source, $"the data section ends at byte {at}, inside tensor '{e.Name}' [{e.Begin}, {e.End}).");
            }

            chunks.Add(chunk);
            remaining -= (ulong)got;
        }

        return chunks;
    }

    private static string Format(ReadOnlySpan<int> shape)
        => "[" + string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static InvalidDataException Invalid(string source, string message, Exception? inner = null)
        => new($"safetensors {source}: {message}", inner);

    private sealed class Entry(string name, int[] shape, ulong begin, ulong end, int index)
    {
        public string Name { get; } = name;

        public int[] Shape { get; } = shape;

        public ulong Begin { get; } = begin;

        public ulong End { get; } = end;

        /// <summary>The position in the header.</summary>
        public int Index { get; } = index;

        public Tensor<float>? Tensor { get; set; }
    }
}
