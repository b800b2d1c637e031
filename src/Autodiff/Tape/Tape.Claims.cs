using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Autodiff;

// A tape is not thread-safe: its lists and buffers belong to one computation. The current tape flows into tasks
// started from its async flow (it is an AsyncLocal), so two threads can reach the same tape by accident. Recording a
// tensor op, every sweep (tensor or scalar) and resetting therefore claim the tape for the calling thread for their
// duration, and a second thread that arrives meanwhile gets a clear exception instead of a corrupted tape. Recording
// a scalar entry does not claim: it costs a few nanoseconds, and an interlocked operation would multiply that. Using a tape from
// different threads one after the other (an await resuming elsewhere) is fine.
public sealed partial class Tape
{
    // The managed thread id of the thread recording, sweeping or resetting this tape right now; 0 when none.
    private int _busyThread;

    /// <summary>
    /// Claims the tape for this thread; returns whether this call claimed it (false when this thread already holds
    /// it: a recorded sweep records on the tape it sweeps). Throws when another thread holds it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool Enter(string what)
    {
        int me = Environment.CurrentManagedThreadId;
        int holder = Interlocked.CompareExchange(ref _busyThread, me, 0);
        if (holder == 0)
        {
            return true;
        }

        if (holder != me)
        {
            ThrowConcurrentUse(what, holder);
        }

        return false;
    }

    /// <summary>Releases the claim of <see cref="Enter"/> if that call made it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Exit(bool entered)
    {
        if (entered)
        {
            Volatile.Write(ref _busyThread, 0);
        }
    }

    /// <summary>Claims the tape for this thread until the returned scope is disposed: <c>using ClaimScope claim = Claim("…");</c>.</summary>
    internal ClaimScope Claim(string what) => new(this, Enter(what));

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowConcurrentUse(string what, int holder) => throw new InvalidOperationException(
        $"{what}: this tape is in use by another thread (managed thread {holder}) right now. A tape records one computation " +
        "and is not thread-safe; give each concurrent task its own tape (`using var tape = new Tape();` inside the task), " +
        "or wait for the other thread to finish with it.");

    /// <summary>Releases a claim of <see cref="Claim"/> when disposed.</summary>
    internal readonly ref struct ClaimScope(Tape tape, bool entered)
    {
        public void Dispose() => tape.Exit(entered);
    }
}
