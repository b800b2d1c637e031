using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Autodiff.NN.Serialization;

/// <summary>
/// Reads and writes the safetensors format of Hugging Face — the weight files that PyTorch's
/// <c>safetensors.torch.load_file</c> and <c>save_file</c> use — into float and double tensors.
/// </summary>
/// <remarks>
/// <para>
/// Layout: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON,
/// <c>{"__metadata__": {"key": "value", …}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …}</c>,
/// padded with spaces so that the data starts at a multiple of 8; then the raw little-endian elements, each
/// tensor's at [begin, end) counted from the start of the data section, the tensors back to back with no gaps.
/// </para>
/// <para>
/// Element types (<see cref="SafeTensorsDtype"/>) and the conversion rules. Into <c>Tensor&lt;float&gt;</c>
/// (<see cref="Load(string)"/>): F32 as stored; F16 and BF16 widen exactly; F64 rounds to the nearest float32, as
/// PyTorch's <c>t.float()</c> does, and a finite value beyond float32's range is refused rather than made ∞; BOOL,
/// U8, I8, I16 convert exactly, and I32, I64 when every value is an integer float32 holds exactly (|v| ≤ 2^24),
/// else the tensor is refused with the element. Into <c>Tensor&lt;double&gt;</c> (<see cref="LoadDouble(string)"/>):
/// every float type exactly, integers up to 2^53. Writing: float tensors as F32 and double tensors as F64 by
/// default; another stored type per tensor on request (<see cref="Save(string, IReadOnlyDictionary{string, Tensor{float}}, IReadOnlyDictionary{string, string}?, IReadOnlyDictionary{string, SafeTensorsDtype})"/>),
/// rounding to nearest, refusing an overflow to ∞ and, for integer types, any value that is not an integer in range.
/// The 8-bit float formats, U16–U64 and C64 are refused by name.
/// </para>
/// <para>
/// Loading validates as strictly as the reference implementation: header length within the file, valid JSON, every
/// field present and well-typed, byte ranges that match the shapes, lie inside the data section, do not overlap, and
/// cover it exactly; names must be unique. Each problem raises an <see cref="InvalidDataException"/> that says what
/// is wrong and where.
/// </para>
/// </remarks>
public static partial class SafeTensors
{
    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes <paramref name="tensors"/> to a file as F32, in the dictionary's enumeration order (pass a
    /// <see cref="SortedDictionary{TKey, TValue}"/> for an order independent of insertion).
    /// </summary>
    /// <remarks>The file is written beside its final name and then moved into place, so a crash never leaves a half-written file.</remarks>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c> (PyTorch writes <c>{"format": "pt"}</c>).</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor<float>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => SaveToFile(path, stream => Save(stream, tensors, metadata));

    /// <summary>
    /// Writes <paramref name="tensors"/> to a file, each in the element type <paramref name="dtypes"/> names for it
    /// (F32 for those it does not name): PyTorch's <c>num_batches_tracked</c> as I64, say, or weights as BF16.
    /// </summary>
    /// <remarks>
    /// Every value is checked against its stored type before the first byte is written (an overflow to ∞, or a value
    /// that is not an integer in range of an integer type, is refused), and the file is written beside its final name
    /// and then moved into place.
    /// </remarks>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>, or null.</param>
    /// <param name="dtypes">The stored element type of some of the tensors, by name.</param>
    /// <exception cref="ArgumentException">A value does not convert, or <paramref name="dtypes"/> names a tensor that is not there.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor<float>> tensors, IReadOnlyDictionary<string, string>? metadata, IReadOnlyDictionary<string, SafeTensorsDtype> dtypes)
        => SaveToFile(path, stream => Save(stream, tensors, metadata, dtypes));

    /// <summary>Writes double <paramref name="tensors"/> to a file as F64 (exactly), in enumeration order.</summary>
    /// <remarks>The file is written beside its final name and then moved into place.</remarks>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>, or null.</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor<double>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => SaveToFile(path, stream => Save(stream, tensors, metadata));

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="stream"/> at its current position as F32, in enumeration order.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>.</param>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor<float>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => Write(stream, tensors, metadata, dtypes: null, SafeTensorsDtype.F32);

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="stream"/>, each in the element type
    /// <paramref name="dtypes"/> names for it (F32 otherwise); nothing is written unless every value converts.
    /// </summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>, or null.</param>
    /// <param name="dtypes">The stored element type of some of the tensors, by name.</param>
    /// <exception cref="ArgumentException">A value does not convert, or <paramref name="dtypes"/> names a tensor that is not there.</exception>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor<float>> tensors, IReadOnlyDictionary<string, string>? metadata, IReadOnlyDictionary<string, SafeTensorsDtype> dtypes)
    {
        ArgumentNullException.ThrowIfNull(dtypes);
        Write(stream, tensors, metadata, dtypes, SafeTensorsDtype.F32);
    }

    /// <summary>Writes double <paramref name="tensors"/> to <paramref name="stream"/> as F64, in enumeration order.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="metadata">Free-form string pairs stored under <c>__metadata__</c>, or null.</param>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor<double>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => Write(stream, tensors, metadata, dtypes: null, SafeTensorsDtype.F64);

    /// <summary>Reads every tensor of a safetensors file as float32, by the conversion rules of <see cref="SafeTensors"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors by name, in the header's order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or holds a dtype or a value that float32 does not take.</exception>
    public static Dictionary<string, Tensor<float>> Load(string path) => LoadWithMetadata(path).Tensors;

    /// <summary>Reads every tensor from a stream holding a safetensors file, from its current position to its end, as float32.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <returns>The tensors by name, in the header's order.</returns>
    /// <exception cref="InvalidDataException">The content is malformed, or holds a dtype or a value that float32 does not take.</exception>
    public static Dictionary<string, Tensor<float>> Load(Stream stream) => LoadWithMetadata(stream).Tensors;

    /// <summary>Reads every tensor of a safetensors file as float32, and the <c>__metadata__</c> pairs (empty when absent).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or holds a dtype or a value that float32 does not take.</exception>
    public static (Dictionary<string, Tensor<float>> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        using FileStream stream = OpenFile(path, out string fullPath);
        return Read<float>(stream, fullPath);
    }

    /// <summary>Reads every tensor as float32 and the <c>__metadata__</c> pairs from a stream, from its current position to its end.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <exception cref="InvalidDataException">The content is malformed, or holds a dtype or a value that float32 does not take.</exception>
    public static (Dictionary<string, Tensor<float>> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read<float>(stream, "stream");
    }

    /// <summary>Reads every tensor of a safetensors file as float64: every float type exactly, integers up to 2^53.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors by name, in the header's order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or holds a dtype or a value that float64 does not take.</exception>
    public static Dictionary<string, Tensor<double>> LoadDouble(string path)
    {
        using FileStream stream = OpenFile(path, out string fullPath);
        return Read<double>(stream, fullPath).Tensors;
    }

    /// <summary>Reads every tensor from a stream holding a safetensors file as float64.</summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <returns>The tensors by name, in the header's order.</returns>
    /// <exception cref="InvalidDataException">The content is malformed, or holds a dtype or a value that float64 does not take.</exception>
    public static Dictionary<string, Tensor<double>> LoadDouble(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read<double>(stream, "stream").Tensors;
    }

    /// <summary>
    /// What a safetensors file holds, from its header alone: each tensor's name, stored element type and shape, in the
    /// header's order (the data is not read, only the layout checked).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed or names a dtype this library does not read.</exception>
    public static IReadOnlyList<SafeTensorsEntry> Describe(string path)
    {
        using FileStream stream = OpenFile(path, out string fullPath);
        (List<Entry> entries, _) = ReadLayout(stream, fullPath);
        return entries.OrderBy(e => e.Index).Select(e => new SafeTensorsEntry(e.Name, e.Dtype, e.Shape)).ToArray();
    }

    private static FileStream OpenFile(string path, out string fullPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"safetensors file not found: '{fullPath}'.", fullPath);
        }

        return new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    private static void SaveToFile(string path, Action<Stream> save)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string temporary = $"{fullPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                save(stream);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Checks every tensor and value, then writes the header and the data.</summary>
    private static void Write<T>(Stream stream, IReadOnlyDictionary<string, Tensor<T>> tensors, IReadOnlyDictionary<string, string>? metadata, IReadOnlyDictionary<string, SafeTensorsDtype>? dtypes, SafeTensorsDtype natural)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var plan = new List<(Tensor<T> Tensor, SafeTensorsDtype Dtype)>(tensors.Count);
        foreach ((string name, Tensor<T> tensor) in tensors)
        {
            if (name == MetadataKey)
            {
                throw new ArgumentException($"SafeTensors.Save: '{MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
            }

            ArgumentNullException.ThrowIfNull(tensor, $"tensors[\"{name}\"]");
            SafeTensorsDtype dtype = dtypes is not null && dtypes.TryGetValue(name, out SafeTensorsDtype d) ? d : natural;
            if (!Enum.IsDefined(dtype))
            {
                throw new ArgumentOutOfRangeException(nameof(dtypes), $"SafeTensors.Save: '{name}' is given dtype {(int)dtype}, which is not a SafeTensorsDtype.");
            }

            if (dtype != natural && SafeTensorsElements.Encode(tensor.Span, dtype, default) is { } problem)
            {
                throw new ArgumentException($"SafeTensors.Save: tensor '{name}' {Format(tensor.Shape)} cannot be stored as {SafeTensorsElements.Name(dtype)}: {problem}; nothing was written.", nameof(tensors));
            }

            plan.Add((tensor, dtype));
        }

        if (dtypes?.Keys.FirstOrDefault(k => !tensors.ContainsKey(k)) is { } stray)
        {
            throw new ArgumentException($"SafeTensors.Save: dtypes names '{stray}', which is not among the tensors; nothing was written.", nameof(dtypes));
        }

        byte[] header = BuildHeader(tensors.Keys, plan, metadata);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach ((Tensor<T> tensor, SafeTensorsDtype dtype) in plan)
        {
            WriteElements(stream, tensor.Span, dtype, natural);
        }

        stream.Flush();
    }

    private static byte[] BuildHeader<T>(IEnumerable<string> names, List<(Tensor<T> Tensor, SafeTensorsDtype Dtype)> plan, IReadOnlyDictionary<string, string>? metadata)
        where T : unmanaged, IFloatingPointIeee754<T>
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
            int i = 0;
            foreach (string name in names)
            {
                (Tensor<T> tensor, SafeTensorsDtype dtype) = plan[i++];
                ulong end = offset + ((ulong)tensor.Size * (ulong)SafeTensorsElements.Size(dtype));
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsElements.Name(dtype));
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

    /// <summary>The tensor's own element type straight from memory on a little-endian machine; anything else converted in chunks.</summary>
    private static void WriteElements<T>(Stream stream, ReadOnlySpan<T> values, SafeTensorsDtype dtype, SafeTensorsDtype natural)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dtype == natural && BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        const int Chunk = 8192;
        int size = SafeTensorsElements.Size(dtype);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Chunk * size);
        try
        {
            for (int start = 0; start < values.Length; start += Chunk)
            {
                ReadOnlySpan<T> part = values.Slice(start, Math.Min(Chunk, values.Length - start));
                Span<byte> bytes = scratch.AsSpan(0, part.Length * size);
                _ = SafeTensorsElements.Encode(part, dtype, bytes);
                stream.Write(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
