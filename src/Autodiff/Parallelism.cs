namespace Autodiff;

/// <summary>
/// How many threads the engine's kernels may use (like <c>torch.set_num_threads</c>). Stored per async flow, as
/// the current tape is, so that concurrent callers can choose differently.
/// </summary>
public static class Parallelism
{
    private static readonly AsyncLocal<int> s_maxThreads = new();

    /// <summary>The largest number of threads a kernel may use; defaults to the number of processors.</summary>
    public static int MaxThreads
    {
        get => s_maxThreads.Value > 0 ? s_maxThreads.Value : Environment.ProcessorCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            s_maxThreads.Value = value;
        }
    }
}
