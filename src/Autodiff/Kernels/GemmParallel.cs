using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <content>
/// Several threads on one product. The calling thread owns the spans: it packs the shared operand and then
/// every task's piece into pooled arrays, publishing a counter after each piece; helper threads (Kernels/Workers.cs)
/// claim tasks in order, wait for their piece and write their band into a pooled m×n array; once the calling
/// thread has packed everything it claims tasks too, writing straight into C, and at the end it copies the
/// helpers' bands into C. Tasks are claimed one at a time, so a thread that is slowed down (by another
/// process on its core, say) simply ends up with fewer of them.
/// </content>
internal static partial class GemmDriver<T, TKernel>
{
    /// <summary>The most recently finished state, kept so that a steady stream of products allocates nothing.</summary>
    private static ParallelState? s_cachedState;

    /// <summary>Several threads: the calling one packs, then computes; the helpers compute as pieces appear.</summary>
    private static void RunParallel(in Operands operands, Span<T> c, GemmPlan plan, bool accumulate)
    {
        ParallelState state = Interlocked.Exchange(ref s_cachedState, null) ?? new ParallelState();
        state.Begin(plan);
        try
        {
            // Queue the helpers first: a helper that has gone to sleep takes a while to wake up, which overlaps
            // with the packing below.
            state.StartHelpers();
            PackShared(in operands, plan, state.Shared);
            for (int t = 0; t < plan.TaskCount; t++)
            {
                PackPiece(in operands, plan, t, state.PieceSpan(t));
                state.Publish(t + 1);
            }

            Span<T> edge = stackalloc T[TKernel.Mr * TKernel.Nr];
            ref T cOrigin = ref MemoryMarshal.GetReference(c);
            int task;
            while ((task = state.Claim()) >= 0)
            {
                if (accumulate)
                {
                    // A helper computes its task whole and then adds it to C; adding pass by pass into C here would
                    // round differently, and the result would depend on which thread claimed which task. So with
                    // accumulate this thread's tasks go the helpers' way too: the same bits whatever the timing.
                    state.ComputeIntoHelperBands(task, edge);
                }
                else
                {
                    ComputeTask(plan, task, ref state.Shared[0], ref state.Piece(task), ref cOrigin, accumulate: false, edge);
                }

                // Copy back what the helpers have finished while they are still busy, rather than all at the end.
                state.CopyHelperBands(c, accumulate);
            }

            state.WaitForHelpers();
            state.CopyHelperBands(c, accumulate);
        }
        finally
        {
            // Whatever happened, no helper is running any more: it is safe to give the arrays back.
            state.End();
        }
    }

    /// <summary>
    /// What the threads of one product share: the packed operands, the helpers' copy of C and the counters
    /// that hand out tasks. Reused from one product to the next (see <see cref="HelperItem"/> for why a helper
    /// that the pool starts late does no harm).
    /// </summary>
    private sealed class ParallelState
    {
        // What has become of each task's band, as far as the helpers' copy of C goes: nothing (computed by the
        // calling thread straight into C, or not yet computed), computed by a helper, or copied into C.
        private const int BandComputed = 1;
        private const int BandCopied = 2;

        private HelperItem[] _helpers = [];
        private int _helperCount;
        private GemmPlan _plan;
        private T[] _shared = [];
        private T[] _pieces = [];
        private T[] _helperC = [];
        private int[] _bands = [];
        private int _nextTask;
        private int _publishedTasks;
        private bool _abandoned;
        private ExceptionDispatchInfo? _helperError;

        /// <summary>Gets the packed shared operand.</summary>
        public T[] Shared => _shared;

        /// <summary>Gets everything ready for a product and rents the arrays.</summary>
        public void Begin(GemmPlan plan)
        {
            _plan = plan;
            _helperCount = plan.Threads - 1;
            if (_helpers.Length < _helperCount)
            {
                var helpers = new HelperItem[_helperCount];
                _helpers.CopyTo(helpers, 0);
                for (int i = _helpers.Length; i < helpers.Length; i++)
                {
                    helpers[i] = new HelperItem(this);
                }

                _helpers = helpers;
            }

            _shared = ArrayPool<T>.Shared.Rent(plan.SharedLength);
            _pieces = ArrayPool<T>.Shared.Rent(plan.PieceLength * plan.TaskCount);
            _helperC = ArrayPool<T>.Shared.Rent(plan.M * plan.N);
            _bands = ArrayPool<int>.Shared.Rent(plan.TaskCount);
            Array.Clear(_bands, 0, plan.TaskCount);
            _nextTask = 0;
            _publishedTasks = 0;
            _helperError = null;
            _abandoned = false;
        }

        /// <summary>Hands the helpers to the thread pool.</summary>
        public void StartHelpers()
        {
            for (int i = 0; i < _helperCount; i++)
            {
                _helpers[i].Queue();
            }
        }

        /// <summary>Gets the packed piece of <paramref name="task"/>, for the calling thread to fill.</summary>
        public Span<T> PieceSpan(int task) => _pieces.AsSpan(task * _plan.PieceLength, _plan.PieceLength);

        /// <summary>Gets the first element of the packed piece of <paramref name="task"/>.</summary>
        public ref T Piece(int task) => ref _pieces[task * _plan.PieceLength];

        /// <summary>Tells the helpers that the pieces of the first <paramref name="count"/> tasks are packed.</summary>
        public void Publish(int count) => Volatile.Write(ref _publishedTasks, count);

        /// <summary>Takes the next task, or returns -1 when all are taken.</summary>
        public int Claim()
        {
            int task = Interlocked.Increment(ref _nextTask) - 1;
            return task < _plan.TaskCount ? task : -1;
        }

        /// <summary>Returns once every helper has either finished or been stopped before it started.</summary>
        public void WaitForHelpers()
        {
            for (int i = 0; i < _helperCount; i++)
            {
                _helpers[i].CancelOrWait();
            }

            _helperError?.Throw();
        }

        /// <summary>Computes <paramref name="task"/> on this thread into the helpers' copy of C, to be added to C with theirs.</summary>
        public void ComputeIntoHelperBands(int task, Span<T> edge)
        {
            ComputeTask(_plan, task, ref _shared[0], ref Piece(task), ref _helperC[0], accumulate: false, edge);
            Volatile.Write(ref _bands[task], BandComputed);
        }

        /// <summary>Copies (or adds) into C the bands that helpers have finished since the last call.</summary>
        public void CopyHelperBands(Span<T> c, bool accumulate)
        {
            GemmPlan plan = _plan;
            for (int t = 0; t < plan.TaskCount; t++)
            {
                if (Volatile.Read(ref _bands[t]) != BandComputed)
                {
                    continue;
                }

                _bands[t] = BandCopied;

                int start = t * plan.TaskSize;
                int length = Math.Min(plan.TaskSize, (plan.AlongN ? plan.N : plan.M) - start);
                int rows = plan.AlongN ? plan.M : length;
                int cols = plan.AlongN ? length : plan.N;
                int offset = plan.AlongN ? start : start * plan.N;
                for (int i = 0; i < rows; i++)
                {
                    ReadOnlySpan<T> from = _helperC.AsSpan(offset + (i * plan.N), cols);
                    Span<T> to = c.Slice(offset + (i * plan.N), cols);
                    if (accumulate)
                    {
                        TensorPrimitives.Add(to, from, to);
                    }
                    else
                    {
                        from.CopyTo(to);
                    }
                }
            }
        }

        /// <summary>Gives the arrays back and lets go of the state.</summary>
        public void End()
        {
            // Normally every helper has finished already. If packing threw, a helper may be waiting for a piece
            // that will never come: tell it to stop before waiting for it.
            Volatile.Write(ref _abandoned, true);
            for (int i = 0; i < _helperCount; i++)
            {
                _helpers[i].CancelOrWait();
            }

            ArrayPool<T>.Shared.Return(_shared);
            ArrayPool<T>.Shared.Return(_pieces);
            ArrayPool<T>.Shared.Return(_helperC);
            ArrayPool<int>.Shared.Return(_bands);
            _shared = _pieces = _helperC = [];
            _bands = [];
            Volatile.Write(ref s_cachedState, this);
        }

        /// <summary>A helper's work: claim tasks, wait for their pieces, compute them into the helpers' copy of C.</summary>
        private void HelperLoop()
        {
            GemmPlan plan = _plan;
            Span<T> edge = stackalloc T[TKernel.Mr * TKernel.Nr];
            int task;
            while ((task = Claim()) >= 0)
            {
                // The calling thread packs the pieces in task order and never waits, so this wait is short.
                var spin = default(SpinWait);
                while (Volatile.Read(ref _publishedTasks) <= task)
                {
                    if (Volatile.Read(ref _abandoned))
                    {
                        return;
                    }

                    spin.SpinOnce(sleep1Threshold: -1);
                }

                ComputeTask(plan, task, ref _shared[0], ref Piece(task), ref _helperC[0], accumulate: false, edge);
                Volatile.Write(ref _bands[task], BandComputed);
            }
        }

        /// <summary>
        /// One helper thread's entry in the thread pool. Its status says what it does in the current product:
        /// Queued, then Running and Finished, or Cancelled when the calling thread did every task before the
        /// pool got round to the helper.
        /// </summary>
        /// <remarks>
        /// A cancelled entry is still in the pool's queue, and the item may be queued again for the next product
        /// before it runs. That is harmless: whichever entry runs first while the status is Queued takes part in
        /// the product of the moment, and every other entry finds the status taken and returns without touching
        /// anything. Once a helper has set Finished (under the lock, which is what the calling thread waits on)
        /// it touches nothing either, so the state can be reused as soon as the calling thread is done.
        /// </remarks>
        private sealed class HelperItem : IThreadPoolWorkItem
        {
            private const int Queued = 0;
            private const int Running = 1;
            private const int Finished = 2;
            private const int Cancelled = 3;

            private readonly ParallelState _state;
            private readonly object _lock = new();
            private int _status = Finished;

            /// <summary>Initializes a new instance of the <see cref="HelperItem"/> class.</summary>
            /// <param name="state">The product this helper works on, every time it is queued.</param>
            public HelperItem(ParallelState state) => _state = state;

            /// <summary>Hands the helper to the thread pool for the product now beginning.</summary>
            public void Queue()
            {
                // The write also publishes the state's fields, set just before, to the pool thread.
                Volatile.Write(ref _status, Queued);
                Workers.Queue(this);
            }

            /// <summary>
            /// Stops the helper if the pool has not started it yet, or waits for it to finish the task it is
            /// on. Finished and Cancelled are final, so calling this twice is fine.
            /// </summary>
            public void CancelOrWait()
            {
                if (Interlocked.CompareExchange(ref _status, Cancelled, Queued) != Running)
                {
                    return;
                }

                lock (_lock)
                {
                    while (Volatile.Read(ref _status) == Running)
                    {
                        Monitor.Wait(_lock);
                    }
                }
            }

            /// <summary>Runs on a pool thread: unless the product is already done, take part in it.</summary>
            public void Execute()
            {
                if (Interlocked.CompareExchange(ref _status, Running, Queued) != Queued)
                {
                    return;
                }

                try
                {
                    _state.HelperLoop();
                }
                catch (Exception exception)
                {
                    _state._helperError = ExceptionDispatchInfo.Capture(exception);
                }
                finally
                {
                    lock (_lock)
                    {
                        Volatile.Write(ref _status, Finished);
                        Monitor.PulseAll(_lock);
                    }
                }
            }
        }
    }
}
