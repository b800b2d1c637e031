using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;

namespace Autodiff.NN.Serialization;

/// <summary>
/// The element types of a safetensors file that this library reads and writes, named as the file names them
/// (<c>"F32"</c>, <c>"BF16"</c>, …) and as PyTorch's <c>torch.float32</c>, <c>torch.bfloat16</c>, … are stored.
/// </summary>
/// <remarks>
/// Reading converts to the tensor's element type by fixed rules (see <see cref="SafeTensors"/>): widening is exact,
/// narrowing rounds to nearest, and a value that the target cannot hold is refused with the tensor's name, never
/// clamped. The 8-bit float formats, U16–U64 and complex numbers are refused by name.
/// </remarks>
public enum SafeTensorsDtype
{
    /// <summary><c>BOOL</c>: one byte, 0 or 1 (<c>torch.bool</c>).</summary>
    Bool,

    /// <summary><c>U8</c>: unsigned byte (<c>torch.uint8</c>).</summary>
    U8,

    /// <summary><c>I8</c>: signed byte (<c>torch.int8</c>).</summary>
    I8,

    /// <summary><c>I16</c>: 16-bit integer (<c>torch.int16</c>).</summary>
    I16,

    /// <summary><c>I32</c>: 32-bit integer (<c>torch.int32</c>).</summary>
    I32,

    /// <summary><c>I64</c>: 64-bit integer (<c>torch.int64</c>, PyTorch's default integer: token ids, <c>num_batches_tracked</c>).</summary>
    I64,

    /// <summary><c>F16</c>: IEEE half precision (<c>torch.float16</c>).</summary>
    F16,

    /// <summary><c>BF16</c>: bfloat16, the top half of a float32 (<c>torch.bfloat16</c>).</summary>
    BF16,

    /// <summary><c>F32</c>: single precision (<c>torch.float32</c>), what <c>Tensor&lt;float&gt;</c> holds.</summary>
    F32,

    /// <summary><c>F64</c>: double precision (<c>torch.float64</c>), what <c>Tensor&lt;double&gt;</c> holds.</summary>
    F64,
}

/// <summary>One tensor as a safetensors header describes it: its name, element type and shape.</summary>
/// <param name="Name">The key.</param>
/// <param name="Dtype">The stored element type.</param>
/// <param name="Shape">The extents.</param>
public sealed record SafeTensorsEntry(string Name, SafeTensorsDtype Dtype, IReadOnlyList<int> Shape);

/// <summary>
/// The element conversions of safetensors, one rule per (stored type, tensor type) pair, written once for float and
/// double: decoding little-endian bytes into a tensor's span, and encoding a span into bytes.
/// </summary>
internal static class SafeTensorsElements
{
    /// <summary>The file's name of each dtype, in the enum's order.</summary>
    private static readonly string[] s_names = ["BOOL", "U8", "I8", "I16", "I32", "I64", "F16", "BF16", "F32", "F64"];

    /// <summary>Dtypes that the format defines but this library does not read.</summary>
    private static readonly string[] s_unsupported = ["F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "U16", "U32", "U64", "C64"];

    public static string Name(SafeTensorsDtype dtype) => s_names[(int)dtype];

    public static int Size(SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.Bool or SafeTensorsDtype.U8 or SafeTensorsDtype.I8 => 1,
        SafeTensorsDtype.I16 or SafeTensorsDtype.F16 or SafeTensorsDtype.BF16 => 2,
        SafeTensorsDtype.I32 or SafeTensorsDtype.F32 => 4,
        _ => 8,
    };

    /// <summary>The dtype the file names <paramref name="name"/>, or an explanation of why it is not read.</summary>
    public static SafeTensorsDtype? Parse(string name, out string? refusal)
    {
        int index = Array.IndexOf(s_names, name);
        refusal = index >= 0 ? null
            : s_unsupported.Contains(name) ? $"dtype {name} is not supported (supported: {string.Join(", ", s_names)})"
            : $"unknown dtype '{name}'";
        return index >= 0 ? (SafeTensorsDtype)index : null;
    }

    /// <summary>The largest integer up to which every integer is exact in <typeparamref name="T"/>: 2^24 for float, 2^53 for double.</summary>
    private static long ExactIntegers<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float) ? 1L << 24 : 1L << 53;

    /// <summary>
    /// Converts the stored elements of one tensor into <paramref name="destination"/>: floats widen exactly, F64 into
    /// float rounds to nearest, integers must be exactly representable; anything else throws, naming the element.
    /// </summary>
    public static void Decode<T>(ReadOnlySpan<byte> raw, SafeTensorsDtype dtype, Span<T> destination, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long exact = ExactIntegers<T>();
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = dtype switch
            {
                SafeTensorsDtype.F32 => T.CreateTruncating(BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..])),
                SafeTensorsDtype.F64 => Narrowed<T>(BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]), i, what),
                SafeTensorsDtype.F16 => T.CreateTruncating((float)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..])),
                SafeTensorsDtype.BF16 => T.CreateTruncating(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16)),
                SafeTensorsDtype.Bool => raw[i] switch
                {
                    0 => T.Zero,
                    1 => T.One,
                    byte b => throw new InvalidDataException($"{what}: element {i} of a BOOL tensor is {b}, not 0 or 1."),
                },
                SafeTensorsDtype.U8 => T.CreateTruncating(raw[i]),
                SafeTensorsDtype.I8 => T.CreateTruncating((sbyte)raw[i]),
                SafeTensorsDtype.I16 => T.CreateTruncating(BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..])),
                SafeTensorsDtype.I32 => Integer<T>(BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]), exact, i, what),
                _ => Integer<T>(BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]), exact, i, what),
            };
        }
    }

    private static T Narrowed<T>(double value, int index, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T result = T.CreateTruncating(value);
        if (T.IsInfinity(result) && double.IsFinite(value))
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {index} of an F64 tensor is {value:R}, beyond float32's range (±3.4e38); load it with SafeTensors.LoadDouble."));
        }

        return result;
    }

    private static T Integer<T>(long value, long exact, int index, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (value > exact || value < -exact)
        {
            string type = typeof(T) == typeof(float) ? "float32 (|v| ≤ 2^24)" : "float64 (|v| ≤ 2^53)";
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: element {index} of an integer tensor is {value}, which {type} cannot hold exactly; it is not rounded."));
        }

        return T.CreateTruncating(value);
    }

    /// <summary>
    /// Converts <paramref name="source"/> into the stored bytes of <paramref name="dtype"/> (when
    /// <paramref name="destination"/> is empty, only checks): floats round to nearest, an overflow to ∞ is refused, an
    /// integer dtype takes integral values in its range only.
    /// </summary>
    /// <returns>Null when every element converts; otherwise what is wrong, naming the first element that does not.</returns>
    public static string? Encode<T>(ReadOnlySpan<T> source, SafeTensorsDtype dtype, Span<byte> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool write = !destination.IsEmpty;
        int size = Size(dtype);
        for (int i = 0; i < source.Length; i++)
        {
            T x = source[i];
            Span<byte> at = write ? destination.Slice(size * i, size) : default;
            switch (dtype)
            {
                case SafeTensorsDtype.F64:
                    if (write)
                    {
                        BinaryPrimitives.WriteDoubleLittleEndian(at, double.CreateTruncating(x));
                    }

                    break;
                case SafeTensorsDtype.F32 or SafeTensorsDtype.F16 or SafeTensorsDtype.BF16:
                    if (Narrow(x, dtype, out ushort half, out float single) is { } overflow)
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"element {i} is {double.CreateTruncating(x):R}, beyond {Name(dtype)}'s range ({overflow})");
                    }

                    if (write && dtype == SafeTensorsDtype.F32)
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(at, single);
                    }
                    else if (write)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(at, half);
                    }

                    break;
                default:
                    if (!T.IsInteger(x) || !InRange(double.CreateTruncating(x), dtype))
                    {
                        return string.Create(CultureInfo.InvariantCulture, $"element {i} is {double.CreateTruncating(x):R}, not {(dtype == SafeTensorsDtype.Bool ? "0 or 1" : "an integer in " + Name(dtype) + "'s range")}");
                    }

                    if (write)
                    {
                        WriteInteger(at, long.CreateTruncating(x), dtype);
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>Rounds to float32 and, for F16/BF16, to their 16 bits; returns the range when a finite value would become ∞.</summary>
    private static string? Narrow<T>(T x, SafeTensorsDtype dtype, out ushort half, out float single)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        half = 0;
        single = float.CreateTruncating(x);
        bool finite = T.IsFinite(x);
        if (finite && float.IsInfinity(single))
        {
            return "±3.4e38";
        }

        if (dtype == SafeTensorsDtype.F16)
        {
            // Directly from the value (not via float) so that a double rounds once.
            Half h = typeof(T) == typeof(double) ? (Half)double.CreateTruncating(x) : (Half)single;
            half = BitConverter.HalfToUInt16Bits(h);
            return finite && Half.IsInfinity(h) ? "±65504" : null;
        }

        if (dtype == SafeTensorsDtype.BF16)
        {
            half = ToBFloat16(single);
            return finite && (half & 0x7FFF) == 0x7F80 ? "±3.39e38" : null;
        }

        return null;
    }

    /// <summary>The top 16 bits of a float32, rounded to nearest even (a NaN stays a quiet NaN).</summary>
    private static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    private static bool InRange(double v, SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.Bool => v is 0 or 1,
        SafeTensorsDtype.U8 => v is >= 0 and <= byte.MaxValue,
        SafeTensorsDtype.I8 => v is >= sbyte.MinValue and <= sbyte.MaxValue,
        SafeTensorsDtype.I16 => v is >= short.MinValue and <= short.MaxValue,
        SafeTensorsDtype.I32 => v is >= int.MinValue and <= int.MaxValue,

        // 2^63 itself is a double but not a long.
        _ => v >= -9.2233720368547758e18 && v < 9.2233720368547758e18,
    };

    private static void WriteInteger(Span<byte> at, long v, SafeTensorsDtype dtype)
    {
        switch (Size(dtype))
        {
            case 1:
                at[0] = unchecked((byte)v);
                break;
            case 2:
                BinaryPrimitives.WriteInt16LittleEndian(at, (short)v);
                break;
            case 4:
                BinaryPrimitives.WriteInt32LittleEndian(at, (int)v);
                break;
            default:
                BinaryPrimitives.WriteInt64LittleEndian(at, v);
                break;
        }
    }
}
