using System.Numerics;

namespace Autodiff;

// The memory of a step. While a tape is current and recording, the results of tensor operations (and, during its
// backward sweeps, the gradients) live in arrays the tape lends; Reset() takes them all back for the next step.
// This is what lets a training loop that reuses one tape run without allocating its activations and gradients
// again every step. Dispose() does not take them back: tensors stay readable after a `using` block ends.
public sealed partial class Tape
{
    // The tape whose backward sweep this thread is running (sweeps are synchronous; kernels' worker threads never
    // allocate tensors). A sweep runs with recording off, yet its temporaries belong to the tape being swept.
    [ThreadStatic]
    private static Tape? s_sweeping;

    // Whether that sweep is a plain Backward() (gradients accumulate into the leaves' .Grad, nothing is recorded):
    // then a rule may write a leaf's gradient straight into its .Grad buffer.
    [ThreadStatic]
    private static bool s_sweepWritesLeafGrads;

    private BufferPool<float>? _floatBuffers;
    private BufferPool<double>? _doubleBuffers;

    /// <summary>Incremented by every <see cref="Reset"/>: tensors lent an array in an earlier epoch are stale.</summary>
    internal int RecycleEpoch { get; private set; }

    /// <summary>
    /// The number of elements (float and double) in the arrays this tape holds for the results and gradients of
    /// tensor operations, lent or waiting for the next step. It stops growing once every shape of a step has been
    /// seen; <see cref="Dispose"/> hands it all to the garbage collector.
    /// </summary>
    public long PooledElements => (_floatBuffers?.HeldElements ?? 0) + (_doubleBuffers?.HeldElements ?? 0);

    /// <summary>
    /// The tape that lends arrays to operations run now: the one being swept, else the current recording tape — but
    /// only on the thread that drives it (the one that created or last reset it). The current tape flows into tasks
    /// started from its flow; an op run there concurrently must not borrow memory that the driving thread's next
    /// sweep or reset takes back, so it allocates.
    /// </summary>
    internal static Tape? Lender
    {
        get
        {
            if (s_sweeping is { } swept)
            {
                return swept;
            }

            // A checkpoint's first run borrows nothing: its intermediates are garbage as soon as it returns.
            Tape? tape = Autograd.IsGradEnabled && !Autograd.IsProbing ? s_current.Value : null;
            return tape is not null && tape._drivingThread == Environment.CurrentManagedThreadId ? tape : null;
        }
    }

    // The thread that created or last reset this tape: the only one whose ops borrow its memory.
    private int _drivingThread = Environment.CurrentManagedThreadId;

    /// <summary>The pool for <typeparamref name="T"/>.</summary>
    internal BufferPool<T> Buffers<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            return (BufferPool<T>)(object)(_floatBuffers ??= new BufferPool<float>());
        }

        return (BufferPool<T>)(object)(_doubleBuffers ??= new BufferPool<double>());
    }

    /// <summary>Marks this thread as running a sweep of this tape until the returned scope is disposed.</summary>
    /// <remarks>
    /// In anomaly mode rules do not write leaves' gradients in place: they return them, so that each can be checked
    /// and blamed on the rule that computed it.
    /// </remarks>
    internal SweepScope BeginSweep(bool writesLeafGrads) => new(this, writesLeafGrads && !_detectAnomalies);

    /// <summary>
    /// During a plain <c>Backward()</c> on this thread, the buffer of <paramref name="x"/>'s <c>.Grad</c>, for a rule to
    /// write x's gradient into directly (with <paramref name="overwrite"/> telling whether to overwrite or add) and
    /// return null for x; null when x is not a tracked leaf with a gradient buffer of its own. This saves a temporary
    /// the size of a weight, and a pass over it, per weight and step.
    /// </summary>
    internal static T[]? LeafGradDestination<T>(Tensor<T> x, out bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        overwrite = false;
        if (!s_sweepWritesLeafGrads || !x.IsLeaf || !x.GradRequired)
        {
            return null;
        }

        return x.TakeGradDestination(out overwrite);
    }

    /// <summary>Where the lists of lent arrays stand now, to recycle a sweep's temporaries after it (see <see cref="RecycleSince"/>).</summary>
    internal (int Float, int Double) MarkBuffers() => (_floatBuffers?.Mark ?? 0, _doubleBuffers?.Mark ?? 0);

    /// <summary>Takes back what was lent since <paramref name="mark"/>: the temporaries of a sweep that has finished.</summary>
    internal void RecycleSince((int Float, int Double) mark)
    {
        _floatBuffers?.RecycleSince(mark.Float);
        _doubleBuffers?.RecycleSince(mark.Double);
    }

    private void RecycleBuffers()
    {
        _drivingThread = Environment.CurrentManagedThreadId;
        _floatBuffers?.Recycle();
        _doubleBuffers?.Recycle();
        RecycleEpoch++;
    }

    /// <summary>Restores the tape that was being swept before (sweeps nest when a rule calls Gradient).</summary>
    internal readonly struct SweepScope : IDisposable
    {
        private readonly Tape? _previous;
        private readonly bool _previousWritesLeafGrads;

        public SweepScope(Tape tape, bool writesLeafGrads)
        {
            _previous = s_sweeping;
            _previousWritesLeafGrads = s_sweepWritesLeafGrads;
            s_sweeping = tape;
            s_sweepWritesLeafGrads = writesLeafGrads;
        }

        public void Dispose()
        {
            s_sweeping = _previous;
            s_sweepWritesLeafGrads = _previousWritesLeafGrads;
        }
    }
}

public static partial class Tensor
{
    /// <summary>
    /// A buffer for a result that the caller overwrites completely (skipping the zeroing matters for large tensors):
    /// lent by the recording tape, or by the tape being swept, until its next reset; a new array otherwise.
    /// </summary>
    internal static T[] Uninitialized<T>(int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Tape.Lender is { } lender ? lender.Buffers<T>().Rent(length) : GC.AllocateUninitializedArray<T>(length);

    /// <summary>A zeroed buffer for a result, lent like <see cref="Uninitialized{T}"/>.</summary>
    internal static T[] Zeroed<T>(int length)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Tape.Lender is { } lender)
        {
            T[] array = lender.Buffers<T>().Rent(length);
            Array.Clear(array);
            return array;
        }

        return new T[length];
    }
}
