using System.Numerics;
using System.Runtime.CompilerServices;
using Autodiff.Kernels;

namespace Autodiff;

// Shape operations. Reshape shares the data (tensors are never modified in place); the others copy. Their
// backward rules are the adjoint operations: reshape back, permute back, pad back, scatter back.
public sealed partial class Tensor<T>
{
    /// <summary>The same elements with a new shape; one dimension may be −1 and is then inferred.</summary>
    /// <remarks>Backward: g reshaped to the input's shape.</remarks>
    /// <param name="shape">The new shape.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Reshape(ReadOnlySpan<int> shape, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int[] target = shape.ToArray();
        int infer = Array.IndexOf(target, -1);
        if (infer >= 0)
        {
            long known = 1; // long, and capped: a product of huge extents must not wrap around to a plausible size
            for (int d = 0; d < target.Length && Math.Abs(known) <= Array.MaxLength; d++)
            {
                known *= d == infer ? 1 : target[d];
            }

            if (known == 0)
            {
                // As PyTorch: with another extent 0 the tensor is empty whatever −1 stands for, so it cannot be inferred.
                Shapes.Throw(nameof(Reshape), $"cannot reshape {Shapes.Format(_shape)} to {Shapes.Format(shape)}: with an extent 0 beside it, -1 could be any size; give every extent.", file, line);
            }

            target[infer] = (int)Math.Min(Size / known, int.MaxValue);
        }

        if (target.Any(d => d < 0) || Shapes.Size(target) != Size)
        {
            Shapes.Throw(nameof(Reshape), $"cannot reshape {Shapes.Format(_shape)} ({Size} elements) to {Shapes.Format(shape)}; the new shape must hold the same number of elements (one extent may be -1 to infer it).", file, line);
        }

        var y = new Tensor<T>(this, target);
        return Autograd.Record(nameof(Reshape), y, g => [g.Reshape(_shape)], file, line, this);
    }

    /// <summary>Removes a size-1 axis (or every size-1 axis when none is given).</summary>
    /// <param name="axis">The axis to remove; null for all size-1 axes.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Squeeze(int? axis = null, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        if (axis is null)
        {
            return Reshape(_shape.Where(d => d != 1).ToArray(), file, line);
        }

        int a = Shapes.Axis(axis.Value, Shape, nameof(Squeeze), file, line);
        if (_shape[a] != 1)
        {
            return this; // as PyTorch: squeezing an axis longer than 1 leaves the tensor as it is
        }

        return Reshape(_shape.Where((_, d) => d != a).ToArray(), file, line);
    }

    /// <summary>Inserts a size-1 axis at <paramref name="axis"/> (negative counts from the end of the result).</summary>
    /// <param name="axis">Where the new axis goes.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Unsqueeze(int axis, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(Unsqueeze), file, line, insertion: true);
        var shape = _shape.ToList();
        shape.Insert(a, 1);
        return Reshape(shape.ToArray(), file, line);
    }

    /// <summary>Repeats the tensor along size-1 (or missing leading) axes to <paramref name="shape"/>, NumPy-style.</summary>
    /// <remarks>Backward: g summed over the repeated axes (done by the sweep's reduce-to-shape).</remarks>
    /// <param name="shape">The target shape.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> BroadcastTo(ReadOnlySpan<int> shape, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int[] target = shape.ToArray();
        if (!Shapes.Broadcast(_shape, target, nameof(BroadcastTo), file, line).AsSpan().SequenceEqual(target))
        {
            Shapes.Throw(nameof(BroadcastTo), $"cannot broadcast {Shapes.Format(_shape)} to {Shapes.Format(target)}.", file, line);
        }

        if (target.AsSpan().SequenceEqual(_shape))
        {
            return this;
        }

        var data = Tensor.Uninitialized<T>(Shapes.Size(target));
        Broadcast.Binary<T, FirstKernel<T>>(Data, _shape, [T.Zero], [], data, target);
        var y = new Tensor<T>(data, target);
        return Autograd.Record(nameof(BroadcastTo), y, g => [g], file, line, this);
    }

    /// <summary>The transpose of a matrix; for higher ranks, swaps the last two axes.</summary>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Transpose([CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        if (Rank < 2)
        {
            Shapes.Throw(nameof(Transpose), $"needs at least 2 dimensions, got shape {Shapes.Format(_shape)}.", file, line);
        }

        return Transpose(-2, -1, file, line);
    }

    /// <summary>Swaps two axes.</summary>
    /// <param name="axis0">One axis.</param>
    /// <param name="axis1">The other axis.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Transpose(int axis0, int axis1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis0, Shape, nameof(Transpose), file, line), b = Shapes.Axis(axis1, Shape, nameof(Transpose), file, line);
        int[] order = Enumerable.Range(0, Rank).ToArray();
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order, file, line);
    }

    /// <summary>Reorders the axes: result axis i is input axis <paramref name="order"/>[i].</summary>
    /// <remarks>Backward: g permuted by the inverse order.</remarks>
    /// <param name="order">A permutation of 0 … rank − 1; a negative axis counts from the end, as PyTorch's <c>permute</c>.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Permute(ReadOnlySpan<int> order, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int rank = Rank;
        int[] perm = order.ToArray().Select(p => p < 0 && p >= -rank ? p + rank : p).ToArray();
        if (perm.Length != Rank || !perm.Order().SequenceEqual(Enumerable.Range(0, Rank)))
        {
            Shapes.Throw(nameof(Permute), $"{Shapes.Format(order)} is not a permutation of the axes of shape {Shapes.Format(_shape)}.", file, line);
        }

        int[] shape = perm.Select(p => _shape[p]).ToArray();
        int[] strides = perm.Select(p => Shapes.Stride(_shape, p)).ToArray();
        var data = Tensor.Uninitialized<T>(Size);
        Layout.Permute<T>(Data, shape, strides, data);

        int[] inverse = new int[Rank];
        for (int d = 0; d < Rank; d++)
        {
            inverse[perm[d]] = d;
        }

        var y = new Tensor<T>(data, shape);
        return Autograd.Record(nameof(Permute), y, g => [g.Permute(inverse)], file, line, this).Traced("order", perm);
    }

    /// <summary>The elements start … start + length − 1 along <paramref name="axis"/> (a copy).</summary>
    /// <remarks>Backward: g padded with zeros back to the input's extent.</remarks>
    /// <param name="axis">The axis.</param>
    /// <param name="start">The first index kept; a negative start counts from the end, as PyTorch's <c>narrow</c>.</param>
    /// <param name="length">How many indices are kept.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Narrow(int axis, int start, int length, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(Narrow), file, line);
        int given = start;
        if (start < 0 && start >= -_shape[a])
        {
            start += _shape[a];
        }

        if (start < 0 || length < 0 || start + length > _shape[a])
        {
            Shapes.Throw(nameof(Narrow), $"range [{given}, {given + length}) is outside axis {axis} of shape {Shapes.Format(_shape)}.", file, line);
        }

        (int outer, int extent, int inner) = Shapes.AroundAxis(_shape, a);
        int[] shape = ShapeArray();
        shape[a] = length;
        var data = Tensor.Uninitialized<T>(outer * length * inner);
        Layout.CopyBlocks<T>(Data, outer, extent * inner, start * inner, data, length * inner, 0, length * inner);

        var y = new Tensor<T>(data, shape);
        return Autograd.Record(nameof(Narrow), y, g => [g.PadAxis(a, start, extent)], file, line, this).Traced("axis", a).Traced("start", start).Traced("length", length);
    }

    /// <summary>
    /// The slice at <paramref name="index"/> along <paramref name="axis"/>, that axis removed (PyTorch's
    /// <c>select</c>, <c>x[i]</c> for axis 0); a negative index counts from the end.
    /// </summary>
    /// <remarks>Backward: g padded with zeros back along the axis (composed: Narrow then Squeeze).</remarks>
    /// <param name="axis">The axis.</param>
    /// <param name="index">The position along it.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Select(int axis, int index, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(Select), file, line);
        int i = index < 0 ? index + _shape[a] : index;
        if ((uint)i >= (uint)_shape[a])
        {
            Shapes.Throw(nameof(Select), $"index {index} is out of range for axis {axis} of shape {Shapes.Format(_shape)} (size {_shape[a]}).", file, line);
        }

        return Narrow(a, i, 1, file, line).Squeeze(a, file, line);
    }

    /// <summary>
    /// Pieces of <paramref name="size"/> along <paramref name="axis"/> (the last one shorter if the extent does not
    /// divide), as PyTorch's <c>split</c>.
    /// </summary>
    /// <remarks>Backward: each piece's gradient goes back to its place (composed: Narrow).</remarks>
    /// <param name="size">The extent of each piece, ≥ 1.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T>[] Split(int size, int axis = 0, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(Split), file, line);
        if (size < 1)
        {
            Shapes.Throw(nameof(Split), $"the piece size must be ≥ 1, got {size}.", file, line);
        }

        int extent = _shape[a];
        var pieces = new Tensor<T>[Math.Max(1, (extent + size - 1) / size)];
        for (int p = 0; p < pieces.Length; p++)
        {
            pieces[p] = Narrow(a, Math.Min(p * size, extent), Math.Min(size, extent - Math.Min(p * size, extent)), file, line);
        }

        return pieces;
    }

    /// <summary>
    /// <paramref name="chunks"/> pieces along <paramref name="axis"/> of ⌈extent / chunks⌉ each (fewer when the
    /// extent is small), as PyTorch's <c>chunk</c>: the q, k, v of a fused projection are <c>Chunk(3, -1)</c>.
    /// </summary>
    /// <param name="chunks">How many pieces, ≥ 1.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T>[] Chunk(int chunks, int axis = 0, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(Chunk), file, line);
        if (chunks < 1)
        {
            Shapes.Throw(nameof(Chunk), $"the number of chunks must be ≥ 1, got {chunks}.", file, line);
        }

        return Split(Math.Max(1, (_shape[a] + chunks - 1) / chunks), a, file, line);
    }

    /// <summary>Like Python's x[start:end] along <paramref name="axis"/>; negative indices count from the end.</summary>
    /// <param name="axis">The axis.</param>
    /// <param name="start">First index kept.</param>
    /// <param name="end">One past the last index kept.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Slice(int axis, int start, int end, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(Slice), file, line);
        int n = _shape[a];
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n);
        int e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        return Narrow(a, s, Math.Max(0, e - s), file, line);
    }

    /// <summary>
    /// Merges axes <paramref name="startAxis"/> … <paramref name="endAxis"/> into one (as <c>torch.flatten</c>):
    /// [N, C, H, W] with startAxis 1 gives [N, C·H·W]. The same elements, like <see cref="Reshape"/>.
    /// </summary>
    /// <remarks>Backward: g reshaped to the input's shape.</remarks>
    /// <param name="startAxis">The first axis merged; negative counts from the end.</param>
    /// <param name="endAxis">The last axis merged; negative counts from the end.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Flatten(int startAxis = 0, int endAxis = -1, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        if (Rank == 0)
        {
            return Reshape([1], file, line);
        }

        int a = Shapes.Axis(startAxis, Shape, nameof(Flatten), file, line), b = Shapes.Axis(endAxis, Shape, nameof(Flatten), file, line);
        if (a > b)
        {
            Shapes.Throw(nameof(Flatten), $"start axis {startAxis} comes after end axis {endAxis} in shape {Shapes.Format(_shape)}.", file, line);
        }

        int merged = 1;
        for (int d = a; d <= b; d++)
        {
            merged *= _shape[d];
        }

        return Reshape([.. _shape[..a], merged, .. _shape[(b + 1)..]], file, line);
    }

    /// <summary>Zeros of extent <paramref name="extent"/> along the axis with this tensor placed at <paramref name="start"/>.</summary>
    internal Tensor<T> PadAxis(int axis, int start, int extent)
    {
        (int outer, int length, int inner) = Shapes.AroundAxis(_shape, axis);
        int[] shape = ShapeArray();
        shape[axis] = extent;
        var data = Tensor.Zeroed<T>(outer * extent * inner);
        Layout.CopyBlocks<T>(Data, outer, length * inner, 0, data, extent * inner, start * inner, length * inner);

        var y = new Tensor<T>(data, shape);
        return Autograd.Record("Pad", y, g => [g.Narrow(axis, start, length)], null, 0, this);
    }

    /// <summary>The entries at <paramref name="indices"/> along <paramref name="axis"/>, in that order (repeats allowed).</summary>
    /// <remarks>Backward: g added back at the selected indices (repeated indices accumulate).</remarks>
    /// <param name="axis">The axis.</param>
    /// <param name="indices">Indices into that axis.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> IndexSelect(int axis, ReadOnlySpan<int> indices, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(IndexSelect), file, line);
        int[] idx = indices.ToArray();
        (int outer, int extent, int inner) = Shapes.AroundAxis(_shape, a);
        CheckIndices(idx, extent, nameof(IndexSelect), file, line);
        int[] shape = ShapeArray();
        shape[a] = idx.Length;
        var data = Tensor.Uninitialized<T>(outer * idx.Length * inner);
        Layout.IndexSelect<T>(Data, outer, extent, inner, idx, data);

        var y = new Tensor<T>(data, shape);
        return Autograd.Record(nameof(IndexSelect), y, g => [g.IndexAdd(a, idx, extent)], file, line, this).Traced("axis", a).Traced("indices", idx);
    }

    /// <summary>Zeros of extent <paramref name="extent"/> along the axis, with slice j of this tensor added at index[j].</summary>
    internal Tensor<T> IndexAdd(int axis, int[] index, int extent)
    {
        (int outer, int length, int inner) = Shapes.AroundAxis(_shape, axis);
        int[] shape = ShapeArray();
        shape[axis] = extent;
        var data = Tensor.Zeroed<T>(outer * extent * inner);
        Layout.IndexAdd<T>(Data, outer, extent, inner, index, data);

        var y = new Tensor<T>(data, shape);
        return Autograd.Record("IndexAdd", y, g => [g.IndexSelect(axis, index)], null, 0, this);
    }

    /// <summary>
    /// Picks along <paramref name="axis"/> per position (PyTorch's <c>gather</c>): with x seen as (outer, n, inner)
    /// and <paramref name="index"/> as (outer, k, inner), out[o, j, i] = x[o, index[o, j, i], i]. For a
    /// [batch, classes] tensor and one label per row, <c>x.Gather(1, labels)</c> picks each row's label entry
    /// (shape [batch, 1]).
    /// </summary>
    /// <remarks>Backward: g scattered back (added) to the picked positions.</remarks>
    /// <param name="axis">The axis to pick along.</param>
    /// <param name="index">Row-major indices; their count must be a multiple of outer × inner.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Tensor<T> Gather(int axis, ReadOnlySpan<int> index, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
    {
        int a = Shapes.Axis(axis, Shape, nameof(Gather), file, line);
        (int outer, int extent, int inner) = Shapes.AroundAxis(_shape, a);
        int[] idx = index.ToArray();
        if (outer * inner == 0 || idx.Length % (outer * inner) != 0)
        {
            Shapes.Throw(nameof(Gather), $"{idx.Length} indices do not fit shape {Shapes.Format(_shape)} along axis {axis} (need a multiple of {outer * inner}).", file, line);
        }

        CheckIndices(idx, extent, nameof(Gather), file, line);
        int k = idx.Length / (outer * inner);
        int[] shape = ShapeArray();
        shape[a] = k;
        var data = Tensor.Uninitialized<T>(idx.Length);
        Layout.Gather<T>(Data, extent, k, inner, idx, data);

        var y = new Tensor<T>(data, shape);
        return Autograd.Record(nameof(Gather), y, g => [g.ScatterAdd(a, idx, extent)], file, line, this).Traced("axis", a).Traced("index", idx);
    }

    /// <summary>Zeros of extent <paramref name="extent"/> along the axis with each element added at its index (Gather's adjoint).</summary>
    internal Tensor<T> ScatterAdd(int axis, int[] index, int extent)
    {
        (int outer, int k, int inner) = Shapes.AroundAxis(_shape, axis);
        int[] shape = ShapeArray();
        shape[axis] = extent;
        var data = Tensor.Zeroed<T>(outer * extent * inner);
        Layout.ScatterAdd<T>(Data, extent, k, inner, index, data);

        var y = new Tensor<T>(data, shape);
        return Autograd.Record("ScatterAdd", y, g => [g.Gather(axis, index)], null, 0, this);
    }

    private void CheckIndices(int[] indices, int extent, string op, string? file, int line)
    {
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)extent)
            {
                Shapes.Throw(op, $"index {i} is out of range for an axis of size {extent} (shape {Shapes.Format(_shape)}); indices must lie in [0, {extent}).", file, line);
            }
        }
    }
}

public static partial class Tensor
{
    /// <summary>Joins tensors along an existing axis; all other extents must agree.</summary>
    /// <remarks>Backward: each input gets its slice of g.</remarks>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="tensors">The tensors, in order.</param>
    /// <param name="axis">The axis to join along.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Concat<T>(IReadOnlyList<Tensor<T>> tensors, int axis = 0, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            Shapes.Throw(nameof(Concat), "needs at least one tensor.", file, line);
        }

        Tensor<T> first = tensors[0];
        int a = Shapes.Axis(axis, first.Shape, nameof(Concat), file, line);
        int total = 0;
        foreach (Tensor<T> t in tensors)
        {
            bool same = t.Rank == first.Rank;
            for (int d = 0; same && d < t.Rank; d++)
            {
                same = d == a || t.Shape[d] == first.Shape[d];
            }

            if (!same)
            {
                Shapes.Throw(nameof(Concat), $"shapes {Shapes.Format(first.Shape)} and {Shapes.Format(t.Shape)} differ outside axis {axis}; tensors may differ only along the axis they are joined on.", file, line);
            }

            total += t.Shape[a];
        }

        int[] shape = first.ShapeArray();
        shape[a] = total;
        (int outer, _, int inner) = Shapes.AroundAxis(shape, a);
        var data = Tensor.Zeroed<T>(Shapes.Size(shape));
        var starts = new int[tensors.Count];
        int start = 0;
        for (int t = 0; t < tensors.Count; t++)
        {
            starts[t] = start;
            int length = tensors[t].Shape[a];
            Layout.CopyBlocks<T>(tensors[t].Data, outer, length * inner, 0, data, total * inner, start * inner, length * inner);

            start += length;
        }

        var y = new Tensor<T>(data, shape);
        Tensor<T>[] inputs = [.. tensors];
        return Autograd.Record(nameof(Concat), y, g =>
        {
            var grads = new Tensor<T>?[inputs.Length];
            for (int t = 0; t < inputs.Length; t++)
            {
                grads[t] = g.Narrow(a, starts[t], inputs[t].Shape[a]);
            }

            return grads;
        }, file, line, inputs).Traced("axis", a);
    }

    /// <summary>Joins equally shaped tensors along a new axis.</summary>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="tensors">The tensors, in order.</param>
    /// <param name="axis">Where the new axis goes.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public static Tensor<T> Stack<T>(IReadOnlyList<Tensor<T>> tensors, int axis = 0, [CallerFilePath] string? file = null, [CallerLineNumber] int line = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
        {
            Shapes.Throw(nameof(Stack), "needs at least one tensor.", file, line);
        }

        foreach (Tensor<T> t in tensors)
        {
            if (!t.Shape.SequenceEqual(tensors[0].Shape))
            {
                Shapes.Throw(nameof(Stack), $"shapes {Shapes.Format(tensors[0].Shape)} and {Shapes.Format(t.Shape)} differ.", file, line);
            }
        }

        int rank = tensors[0].Rank + 1;
        if (axis < -rank || axis >= rank)
        {
            Shapes.Throw(nameof(Stack), $"axis {axis} is out of range for stacking tensors of shape {Shapes.Format(tensors[0].Shape)} (the result has rank {rank}; use an axis in [{-rank}, {rank})).", file, line);
        }

        return Concat(tensors.Select(t => t.Unsqueeze(axis, file, line)).ToArray(), axis, file, line);
    }
}
