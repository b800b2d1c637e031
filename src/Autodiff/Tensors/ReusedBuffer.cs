using System.Numerics;

namespace Autodiff;

/// <summary>
/// One array of elements handed out again and again — a data loader's batch, a streaming reader's frame — each time
/// as a new tensor, while the tensor handed out before stops reading: reading it (or a view of it) throws an
/// <see cref="InvalidOperationException"/> with the owner's message, instead of showing the next use's numbers, as
/// a tensor read after its tape's <see cref="Tape.Reset"/> does. <c>Clone()</c> a tensor to keep it.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class ReusedBuffer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string _expiredMessage;
    private T[] _data = [];
    private Tensor<T>? _current;

    /// <summary>Creates an empty buffer; the first <see cref="Next"/> allocates.</summary>
    /// <param name="expiredMessage">What reading a superseded tensor says: who reused it, and how to keep one.</param>
    public ReusedBuffer(string expiredMessage)
    {
        ArgumentNullException.ThrowIfNull(expiredMessage);
        _expiredMessage = expiredMessage;
    }

    /// <summary>
    /// Expires the tensor handed out last and returns a new one of <paramref name="shape"/> over the same elements
    /// (new elements when the size changes), untracked and holding the previous use's values until overwritten.
    /// </summary>
    /// <param name="shape">The shape of the new tensor.</param>
    public Tensor<T> Next(params ReadOnlySpan<int> shape)
    {
        int size = Tensor.CheckShape<T>(shape, "ReusedBuffer.Next");
        _current?.Expire(_expiredMessage);
        if (size != _data.Length)
        {
            _data = new T[size];
        }

        return _current = new Tensor<T>(_data, shape.ToArray());
    }
}
