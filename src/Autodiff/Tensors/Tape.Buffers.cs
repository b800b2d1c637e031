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
    private static Tape? t_sweeping;

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

    /// <summary>The tape that lends arrays to operations run now: the one being swept, else the current recording tape.</summary>
    internal static Tape? Lender => t_sweeping ?? (Autograd.IsGradEnabled ? s_current.Value : null);

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
    internal SweepScope BeginSweep() => new(this);

    private void RecycleBuffers()
    {
        _floatBuffers?.Recycle();
        _doubleBuffers?.Recycle();
        RecycleEpoch++;
    }

    /// <summary>Restores the tape that was being swept before (sweeps nest when a rule calls Gradient).</summary>
    internal readonly struct SweepScope : IDisposable
    {
        private readonly Tape? _previous;

        public SweepScope(Tape tape)
        {
            _previous = t_sweeping;
            t_sweeping = tape;
        }

        public void Dispose() => t_sweeping = _previous;
    }
}
