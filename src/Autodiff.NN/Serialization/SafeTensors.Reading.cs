using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Autodiff.NN.Serialization;

public static partial class SafeTensors
{
    // The reference implementation refuses larger headers, so a corrupt length cannot make us allocate gigabytes.
    private const ulong MaxHeaderLength = 100_000_000;

    private const int ChunkBytes = 1 << 20;

    private static (Dictionary<string, Tensor<T>> Tensors, Dictionary<string, string> Metadata) Read<T>(Stream stream, string source)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        (List<Entry> entries, Dictionary<string, string> metadata) = ReadLayout(stream, source);
        return (ReadData<T>(stream, entries, source), metadata);
    }

    /// <summary>Reads and checks the length field and the header; the stream is left at the start of the data section.</summary>
    private static (List<Entry>, Dictionary<string, string>) ReadLayout(Stream stream, string source)
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
        return (entries, metadata);
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

        JsonElement dtypeField = Field(value, name, "dtype", JsonValueKind.String, source);
        JsonElement shapeArray = Field(value, name, "shape", JsonValueKind.Array, source);
        JsonElement offsetArray = Field(value, name, "data_offsets", JsonValueKind.Array, source);

        string type = dtypeField.GetString()!;
        SafeTensorsDtype dtype = SafeTensorsElements.Parse(type, out string? refusal)
            ?? throw Invalid(source, $"tensor '{name}' has {refusal}.");

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

        int elementSize = SafeTensorsElements.Size(dtype);
        ulong bytes = elements * (ulong)elementSize;
        if (end - begin != bytes)
        {
            throw Invalid(source,
                $"tensor '{name}': shape {Format(shape)} of {type} needs {elements} × {elementSize} = {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}.");
        }

        return new Entry(name, dtype, shape, begin, end, index);
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

    /// <summary>
    /// Reads the data section front to back (the entries are in offset order here) into tensors of
    /// <typeparamref name="T"/>: the tensor's own type straight into its memory, any other through the conversion rules.
    /// </summary>
    private static Dictionary<string, Tensor<T>> ReadData<T>(Stream stream, List<Entry> entries, string source)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        SafeTensorsDtype natural = typeof(T) == typeof(float) ? SafeTensorsDtype.F32 : SafeTensorsDtype.F64;
        var tensors = new Tensor<T>[entries.Count];
        foreach (Entry e in entries)
        {
            // A seekable stream's length was checked against every range already. Of any other stream we cannot know
            // the length, and a header may declare gigabytes: read a large tensor in chunks first, so that what is
            // allocated is what the stream really holds.
            List<byte[]>? chunks = !stream.CanSeek && e.End - e.Begin > ChunkBytes ? ReadChunks(stream, e, source) : null;

            var tensor = Tensor.Zeros<T>(e.Shape);
            bool direct = e.Dtype == natural && BitConverter.IsLittleEndian;
            byte[]? raw = direct ? null : new byte[e.End - e.Begin];
            Span<byte> bytes = direct ? MemoryMarshal.AsBytes(tensor.MutableSpan()) : raw;
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

            if (raw is not null)
            {
                try
                {
                    SafeTensorsElements.Decode(raw, e.Dtype, tensor.MutableSpan(), $"tensor '{e.Name}' {Format(e.Shape)}");
                }
                catch (InvalidDataException ex)
                {
                    throw Invalid(source, ex.Message, ex);
                }
            }

            tensors[e.Index] = tensor;
        }

        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
        {
            ulong end = entries.Count == 0 ? 0 : entries[^1].End;
            throw Invalid(source, $"bytes from {end} on at the end of the data section belong to no tensor.");
        }

        // The header's order, which is the order the writer chose (and enumerates back the same way).
        return entries.OrderBy(e => e.Index).ToDictionary(e => e.Name, e => tensors[e.Index]);
    }

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

    private sealed class Entry(string name, SafeTensorsDtype dtype, int[] shape, ulong begin, ulong end, int index)
    {
        public string Name { get; } = name;

        public SafeTensorsDtype Dtype { get; } = dtype;

        public int[] Shape { get; } = shape;

        public ulong Begin { get; } = begin;

        public ulong End { get; } = end;

        /// <summary>The position in the header.</summary>
        public int Index { get; } = index;
    }
}
