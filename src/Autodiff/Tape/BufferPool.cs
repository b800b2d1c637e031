using System.Numerics;

namespace Autodiff;

/// <summary>
/// The arrays a tape lends to the results of operations (and to the gradients of a sweep) between two resets,
/// and the arrays returned by earlier resets, ready to be lent again.
/// </summary>
/// <remarks>
/// A training loop computes the same shapes every step, so after the first step every request is met by an array
/// of exactly that length from the free lists: no allocation, no large-object-heap traffic, no page faults on
/// fresh memory. Lengths must match exactly because a tensor's size is its array's length. A lock guards the
/// lists: a tape is not meant to be used from two threads, but an untracked operation run by a worker thread
/// while the tape is current must not corrupt them.
/// </remarks>
/// <typeparam name="T">float or double.</typeparam>
internal sealed class BufferPool<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<int, Stack<T[]>> _free = [];
    private readonly List<T[]> _lent = [];
    private readonly HashSet<T[]> _lentSet = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _lock = new();

    /// <summary>Number of arrays lent since the last <see cref="Recycle"/>.</summary>
    public int LentCount => _lent.Count;

    /// <summary>Elements held by the pool, lent or free.</summary>
    public long HeldElements { get; private set; }

    /// <summary>An array of exactly <paramref name="length"/> elements with unspecified contents.</summary>
    public T[] Rent(int length)
    {
        lock (_lock)
        {
            T[] array;
            if (_free.TryGetValue(length, out Stack<T[]>? stack) && stack.Count > 0)
            {
                array = stack.Pop();
            }
            else
            {
                array = GC.AllocateUninitializedArray<T>(length);
                HeldElements += length;
            }

            _lent.Add(array);
            _lentSet.Add(array);
            return array;
        }
    }

    /// <summary>Whether <paramref name="array"/> was lent by this pool since the last <see cref="Recycle"/>.</summary>
    public bool IsLent(T[] array)
    {
        lock (_lock)
        {
            return _lent.Count > 0 && _lentSet.Contains(array);
        }
    }

    /// <summary>
    /// Gives up <paramref name="array"/> for good: it stays with the tensor that holds it and is not recycled (for
    /// results that were not recorded, which a reset must not take from their owner).
    /// </summary>
    public void Release(T[] array)
    {
        lock (_lock)
        {
            if (!_lentSet.Remove(array))
            {
                return;
            }

            // Usually the array was lent last: search from the end.
            for (int i = _lent.Count - 1; i >= 0; i--)
            {
                if (ReferenceEquals(_lent[i], array))
                {
                    _lent.RemoveAt(i);
                    break;
                }
            }

            HeldElements -= array.Length;
        }
    }

    /// <summary>A position in the list of lent arrays, for <see cref="RecycleSince"/>.</summary>
    public int Mark
    {
        get
        {
            lock (_lock)
            {
                return _lent.Count;
            }
        }
    }

    /// <summary>
    /// Takes back the arrays lent since <paramref name="mark"/> (the temporaries of a backward sweep, which nothing
    /// refers to once it is over), so that a tape swept many times between resets does not pile them up.
    /// </summary>
    public void RecycleSince(int mark)
    {
        lock (_lock)
        {
            for (int i = _lent.Count - 1; i >= mark; i--)
            {
                T[] array = _lent[i];
                _lentSet.Remove(array);
                Free(array);
            }

            if (mark < _lent.Count)
            {
                _lent.RemoveRange(mark, _lent.Count - mark);
            }
        }
    }

    /// <summary>Takes every lent array back. The tensors that held them must no longer be read.</summary>
    public void Recycle()
    {
        lock (_lock)
        {
            foreach (T[] array in _lent)
            {
                Free(array);
            }

            _lent.Clear();
            _lentSet.Clear();
        }
    }

    private void Free(T[] array)
    {
        if (!_free.TryGetValue(array.Length, out Stack<T[]>? stack))
        {
            stack = new Stack<T[]>();
            _free.Add(array.Length, stack);
        }

        stack.Push(array);
    }
}
