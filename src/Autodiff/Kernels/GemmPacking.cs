using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autodiff.Kernels;

/// <content>
/// Packing: copying op(A) into panels of Mr rows stored column by column, and op(B) into panels of Nr columns
/// stored row by row, so that the micro-kernel reads both with unit stride. Rows and columns past the edge of
/// the matrix are zero, which lets the kernel compute whole tiles everywhere. A transposed operand is
/// transposed here, while packing, so the four transpose combinations cost the same.
/// </content>
internal static partial class GemmDriver<T, TKernel>
{
    /// <summary>Packs the operand that every task needs: all of op(B) for row bands, all of op(A) for column bands.</summary>
    private static void PackShared(in Operands operands, GemmPlan plan, Span<T> destination)
    {
        if (plan.AlongN)
        {
            PackA(in operands, 0, plan.M, destination);
        }
        else
        {
            PackB(in operands, 0, plan.N, destination);
        }
    }

    /// <summary>Packs task <paramref name="task"/>'s own piece: its rows of op(A), or its columns of op(B).</summary>
    private static void PackPiece(in Operands operands, GemmPlan plan, int task, Span<T> destination)
    {
        int start = task * plan.TaskSize;
        if (plan.AlongN)
        {
            PackB(in operands, start, Math.Min(plan.TaskSize, plan.N - start), destination);
        }
        else
        {
            PackA(in operands, start, Math.Min(plan.TaskSize, plan.M - start), destination);
        }
    }

    /// <summary>
    /// Packs rows [<paramref name="i0"/>, <paramref name="i0"/> + <paramref name="rows"/>) of op(A) into
    /// panels of Mr rows: panel r holds k groups of Mr values, group p being op(A)[r·Mr .. r·Mr + Mr, p].
    /// </summary>
    private static void PackA(in Operands operands, int i0, int rows, Span<T> destination)
    {
        int mr = TKernel.Mr;
        int k = operands.K;
        ref T source = ref MemoryMarshal.GetReference(operands.A);
        ref T panel = ref MemoryMarshal.GetReference(destination);
        if (operands.TransposeA)
        {
            // A is stored k×m: op(A)[i.., p] is a contiguous run of row p, Mr values for each panel.
            Gather(ref Unsafe.Add(ref source, i0), operands.M, ref panel, mr, rows, k);
            return;
        }

        for (int r = 0; r < rows; r += mr)
        {
            // A is stored m×k: each of the panel's rows is contiguous and becomes a strided column.
            Transpose(ref Unsafe.Add(ref source, (nint)(i0 + r) * k), k, ref panel, mr, Math.Min(mr, rows - r), k);
            panel = ref Unsafe.Add(ref panel, (nint)mr * k);
        }
    }

    /// <summary>
    /// Packs columns [<paramref name="j0"/>, <paramref name="j0"/> + <paramref name="cols"/>) of op(B) into
    /// panels of Nr columns: panel r holds k groups of Nr values, group p being op(B)[p, r·Nr .. r·Nr + Nr].
    /// </summary>
    private static void PackB(in Operands operands, int j0, int cols, Span<T> destination)
    {
        int nr = TKernel.Nr;
        int k = operands.K;
        ref T source = ref MemoryMarshal.GetReference(operands.B);
        ref T panel = ref MemoryMarshal.GetReference(destination);
        if (!operands.TransposeB)
        {
            // B is stored k×n: op(B)[p, j..] is a contiguous run of row p, Nr values for each panel.
            Gather(ref Unsafe.Add(ref source, j0), operands.N, ref panel, nr, cols, k);
            return;
        }

        for (int r = 0; r < cols; r += nr)
        {
            // B is stored n×k: each of the panel's columns is a contiguous row of the stored B.
            Transpose(ref Unsafe.Add(ref source, (nint)(j0 + r) * k), k, ref panel, nr, Math.Min(nr, cols - r), k);
            panel = ref Unsafe.Add(ref panel, (nint)nr * k);
        }
    }

    /// <summary>
    /// Packs <paramref name="length"/> values from each of <paramref name="count"/> source rows,
    /// <paramref name="stride"/> apart, into panels <paramref name="width"/> wide: values q·width to
    /// q·width + width of row p go to group p of panel q, with zeros past <paramref name="length"/>.
    /// </summary>
    /// <remarks>
    /// One source row at a time, spread over all the panels, rather than one panel at a time: each source row
    /// is then read once, sequentially, where a panel at a time would come back to every cache line of the
    /// source once per panel (a 64-byte line holds 16 floats, a panel row only 6 of them).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather(ref T source, nint stride, ref T panels, int width, int length, int count)
    {
        int full = length / width;
        nint panelLength = (nint)width * count;
        for (int p = 0; p < count; p++)
        {
            ref T from = ref Unsafe.Add(ref source, p * stride);
            ref T to = ref Unsafe.Add(ref panels, (nint)p * width);
            for (int q = 0; q < full; q++)
            {
                CopyRow(ref Unsafe.Add(ref from, q * width), ref Unsafe.Add(ref to, q * panelLength), width);
            }
        }

        int used = length - (full * width);
        if (used == 0)
        {
            return;
        }

        ref T edgeSource = ref Unsafe.Add(ref source, full * width);
        ref T edgePanel = ref Unsafe.Add(ref panels, full * panelLength);
        for (int p = 0; p < count; p++)
        {
            ref T from = ref Unsafe.Add(ref edgeSource, p * stride);
            ref T to = ref Unsafe.Add(ref edgePanel, (nint)p * width);
            for (int q = 0; q < width; q++)
            {
                Unsafe.Add(ref to, q) = q < used ? Unsafe.Add(ref from, q) : T.Zero;
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="width"/> values, one panel row, with the widest loads and stores that fit. It is
    /// inlined where the width is the kernel's constant, so all but one branch fold away: this matters, because
    /// a row is only 24 to 128 bytes and a generic loop costs more than the copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(ref T from, ref T to, int width)
    {
        ref byte source = ref Unsafe.As<T, byte>(ref from);
        ref byte destination = ref Unsafe.As<T, byte>(ref to);
        int bytes = width * Unsafe.SizeOf<T>();
        if (Vector256.IsHardwareAccelerated && bytes % 32 == 0 && bytes <= 128)
        {
            // Nr = 16 floats or 8 doubles (64 bytes), 32 floats or 16 doubles (128 bytes).
            Copy32(ref source, ref destination, 0);
            if (bytes >= 64)
            {
                Copy32(ref source, ref destination, 32);
            }

            if (bytes >= 96)
            {
                Copy32(ref source, ref destination, 64);
            }

            if (bytes == 128)
            {
                Copy32(ref source, ref destination, 96);
            }
        }
        else if (bytes == 16 || bytes == 24)
        {
            // Mr = 6 floats (16 + 8 bytes), and the scalar kernel's 4 floats.
            Vector128.LoadUnsafe(ref source).StoreUnsafe(ref destination);
            if (bytes == 24)
            {
                Unsafe.WriteUnaligned(
                    ref Unsafe.Add(ref destination, 16), Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref source, 16)));
            }
        }
        else if (Vector256.IsHardwareAccelerated && bytes == 48)
        {
            // Mr = 6 doubles.
            Copy32(ref source, ref destination, 0);
            Vector128.LoadUnsafe(ref source, 32).StoreUnsafe(ref destination, 32);
        }
        else
        {
            for (int offset = 0; offset < bytes; offset += 4)
            {
                Unsafe.WriteUnaligned(
                    ref Unsafe.Add(ref destination, offset), Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref source, offset)));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy32(ref byte source, ref byte destination, nuint offset) =>
        Vector256.LoadUnsafe(ref source, offset).StoreUnsafe(ref destination, offset);

    /// <summary>
    /// Transposes <paramref name="used"/> source rows of <paramref name="count"/> values, <paramref name="stride"/>
    /// apart, into the panel: source row q becomes lane q of each of the <paramref name="count"/> groups of
    /// <paramref name="width"/>. Lanes from <paramref name="used"/> to <paramref name="width"/> are zero.
    /// </summary>
    private static void Transpose(ref T source, nint stride, ref T panel, int width, int used, int count)
    {
        if (typeof(T) == typeof(float) && Avx.IsSupported && (width == 6 || width % 8 == 0))
        {
            TransposeSingle(
                ref Unsafe.As<T, float>(ref source), stride, ref Unsafe.As<T, float>(ref panel), width, used, count);
            return;
        }

        for (int q = 0; q < used; q++)
        {
            ref T from = ref Unsafe.Add(ref source, q * stride);
            ref T to = ref Unsafe.Add(ref panel, q);
            for (int p = 0; p < count; p++)
            {
                Unsafe.Add(ref to, (nint)p * width) = Unsafe.Add(ref from, p);
            }
        }

        for (int q = used; q < width; q++)
        {
            ref T to = ref Unsafe.Add(ref panel, q);
            for (int p = 0; p < count; p++)
            {
                Unsafe.Add(ref to, (nint)p * width) = T.Zero;
            }
        }
    }

    /// <summary>
    /// <see cref="Transpose"/> for single precision with AVX, eight source rows and eight values at a time:
    /// an 8×8 block is transposed in registers (unpack, shuffle, swap halves: 24 shuffles for 64 values,
    /// against 64 scalar loads and stores). Every group of eight lanes is written as eight floats, or as
    /// four + two when the panel is 6 wide; rows past <paramref name="used"/> are zero vectors.
    /// </summary>
    private static void TransposeSingle(ref float source, nint stride, ref float panel, int width, int used, int count)
    {
        for (int q0 = 0; q0 < width; q0 += 8)
        {
            int rows = Math.Clamp(used - q0, 0, 8);
            ref float rowStart = ref Unsafe.Add(ref source, q0 * stride);
            ref float lane = ref Unsafe.Add(ref panel, q0);
            int p = 0;
            for (; p + 8 <= count; p += 8)
            {
                ref float block = ref Unsafe.Add(ref rowStart, p);
                Vector256<float> r0 = LoadRow(ref block, stride, 0, rows);
                Vector256<float> r1 = LoadRow(ref block, stride, 1, rows);
                Vector256<float> r2 = LoadRow(ref block, stride, 2, rows);
                Vector256<float> r3 = LoadRow(ref block, stride, 3, rows);
                Vector256<float> r4 = LoadRow(ref block, stride, 4, rows);
                Vector256<float> r5 = LoadRow(ref block, stride, 5, rows);
                Vector256<float> r6 = LoadRow(ref block, stride, 6, rows);
                Vector256<float> r7 = LoadRow(ref block, stride, 7, rows);

                // Interleave pairs of rows, then pairs of pairs: within each 128-bit half, lane j of s0..s3
                // then holds rows 0-3 (s0-s3 from r0-r3) or 4-7 (s4-s7) of column j, half h of columns 4h..4h+3.
                Vector256<float> t0 = Avx.UnpackLow(r0, r1);
                Vector256<float> t1 = Avx.UnpackHigh(r0, r1);
                Vector256<float> t2 = Avx.UnpackLow(r2, r3);
                Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
                Vector256<float> t4 = Avx.UnpackLow(r4, r5);
                Vector256<float> t5 = Avx.UnpackHigh(r4, r5);
                Vector256<float> t6 = Avx.UnpackLow(r6, r7);
                Vector256<float> t7 = Avx.UnpackHigh(r6, r7);
                Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44);
                Vector256<float> s1 = Avx.Shuffle(t0, t2, 0xEE);
                Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44);
                Vector256<float> s3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44);
                Vector256<float> s5 = Avx.Shuffle(t4, t6, 0xEE);
                Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44);
                Vector256<float> s7 = Avx.Shuffle(t5, t7, 0xEE);

                // Column j = rows 0-3 from s(j mod 4) and rows 4-7 from s(j mod 4 + 4), low halves for j < 4.
                ref float to = ref Unsafe.Add(ref lane, (nint)p * width);
                StoreLanes(Avx.Permute2x128(s0, s4, 0x20), ref to, 0, width);
                StoreLanes(Avx.Permute2x128(s1, s5, 0x20), ref to, 1, width);
                StoreLanes(Avx.Permute2x128(s2, s6, 0x20), ref to, 2, width);
                StoreLanes(Avx.Permute2x128(s3, s7, 0x20), ref to, 3, width);
                StoreLanes(Avx.Permute2x128(s0, s4, 0x31), ref to, 4, width);
                StoreLanes(Avx.Permute2x128(s1, s5, 0x31), ref to, 5, width);
                StoreLanes(Avx.Permute2x128(s2, s6, 0x31), ref to, 6, width);
                StoreLanes(Avx.Permute2x128(s3, s7, 0x31), ref to, 7, width);
            }

            // The last count mod 8 columns, one value at a time.
            int lanes = Math.Min(8, width - q0);
            for (; p < count; p++)
            {
                ref float to = ref Unsafe.Add(ref lane, (nint)p * width);
                for (int q = 0; q < lanes; q++)
                {
                    Unsafe.Add(ref to, q) = q < rows ? Unsafe.Add(ref rowStart, (q * stride) + p) : 0f;
                }
            }
        }
    }

    /// <summary>Loads eight values of source row <paramref name="row"/>, or zeros for a row past the matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadRow(ref float block, nint stride, int row, int rows) =>
        row < rows ? Vector256.LoadUnsafe(ref Unsafe.Add(ref block, row * stride)) : Vector256<float>.Zero;

    /// <summary>
    /// Stores a transposed column into group <paramref name="group"/> of a panel <paramref name="width"/> wide:
    /// all eight lanes, or the first six (four, then two as one 64-bit store) when the panel is 6 wide.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(Vector256<float> column, ref float panel, int group, int width)
    {
        ref float to = ref Unsafe.Add(ref panel, group * width);
        if (width % 8 == 0)
        {
            column.StoreUnsafe(ref to);
        }
        else
        {
            column.GetLower().StoreUnsafe(ref to);
            Unsafe.WriteUnaligned(
                ref Unsafe.As<float, byte>(ref Unsafe.Add(ref to, 4)), column.GetUpper().AsDouble().ToScalar());
        }
    }
}
