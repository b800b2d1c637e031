namespace Autodiff;

// The version counter (PyTorch's _version): how many times the elements were handed out for writing with
// MutableSpan(). A recorded node remembers the versions of its inputs and result, and its backward rule refuses to
// run if one has changed since: the rule would otherwise differentiate at values the forward pass never saw.
public sealed partial class Tensor<T>
{
    private int _version;

    // The tensor whose counter this one shares: views (Detach, Reshape, …) share their source's array and counter.
    private readonly Tensor<T>? _versionOwner;

    /// <summary>
    /// How many times the elements have been handed out for writing (<see cref="MutableSpan"/>), counted over every
    /// view of the same array. Backward rules check it to catch in-place changes of values saved for backward.
    /// </summary>
    public int Version => (_versionOwner ?? this)._version;
}
