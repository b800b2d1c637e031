using TorchSharp;

namespace Autodiff.Bench;

/// <summary>The thread count of a comparison, set on both sides the same way.</summary>
internal static class ThreadCount
{
    /// <summary>Lets ours (<see cref="Parallelism.MaxThreads"/>) and TorchSharp (<c>torch.set_num_threads</c>) use <paramref name="count"/> threads.</summary>
    public static void UseOnBothSides(int count)
    {
        Parallelism.MaxThreads = count;
        torch.set_num_threads(count);
    }
}
