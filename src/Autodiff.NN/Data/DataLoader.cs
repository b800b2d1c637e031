using System.Collections;

namespace Autodiff.NN.Data;

/// <summary>
/// Hands out a <see cref="Dataset"/> in mini-batches <c>(X, Y)</c>, X of shape [B, D…] and Y the B labels, like
/// PyTorch's <c>DataLoader</c>: each pass (epoch) visits every sample exactly once, in an order reshuffled per epoch.
/// </summary>
/// <remarks>
/// <para>
/// <b>Order.</b> The order of epoch e is a fixed function of (seed, e) (see <see cref="Order(int)"/>), so a run
/// repeats exactly. Each <c>foreach</c> over the loader starts the next epoch (0, 1, 2, …);
/// <see cref="Epoch(int)"/> gives a chosen epoch's batches without advancing that count.
/// </para>
/// <para>
/// <b>Buffers.</b> By default every batch has its own tensor and label array, so batches can be kept
/// (<c>loader.ToList()</c>) as PyTorch's can. With <c>reuseBuffers: true</c> the full batches of one pass share one
/// feature buffer (a <see cref="ReusedBuffer{T}"/>): a batch's X stays valid until the next batch is requested from
/// the same enumerator, and reading it after that throws instead of showing the next batch's numbers — what a
/// training step needs (forward, backward and update before the next batch), without an epoch's worth of feature
/// arrays for the collector. The labels are a new array for every batch either way. Separate enumerations never
/// share buffers, so two passes may run side by side.
/// </para>
/// </remarks>
public sealed class DataLoader : IEnumerable<(Tensor<float> X, int[] Y)>
{
    private readonly int _seed;
    private readonly bool _shuffle;
    private readonly bool _reuseBuffers;
    private int _nextEpoch;

    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch, ≥ 1.</param>
    /// <param name="shuffle">Whether to reshuffle every epoch; in data-set order when false.</param>
    /// <param name="seed">The seed of the per-epoch shuffles; drawn from <see cref="Generator"/> when null.</param>
    /// <param name="dropLast">Whether to leave out the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="reuseBuffers">Whether successive full batches of a pass share their feature buffer (see remarks); off by default.</param>
    public DataLoader(Dataset dataset, int batchSize, bool shuffle = true, int? seed = null, bool dropLast = false, bool reuseBuffers = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"DataLoader: the batch size must be at least 1, got {batchSize}; pass the number of samples per step (e.g. 64).");
        }

        Dataset = dataset;
        BatchSize = batchSize;
        DropLast = dropLast;
        _shuffle = shuffle;
        _seed = seed ?? Generator.NextSeed();
        _reuseBuffers = reuseBuffers;
    }

    /// <summary>The data set the batches are drawn from.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether an incomplete last batch is left out.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The epoch that the next <c>foreach</c> (or <see cref="GetEnumerator"/>) will run.</summary>
    public int NextEpoch => Volatile.Read(ref _nextEpoch);

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the samples (the identity without shuffling).</summary>
    /// <param name="epoch">The epoch, ≥ 0.</param>
    public int[] Order(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return _shuffle ? Permutations.Shuffled(Dataset.Count, _seed, epoch) : Enumerable.Range(0, Dataset.Count).ToArray();
    }

    /// <summary>The batches of epoch <paramref name="epoch"/>; does not change <see cref="NextEpoch"/>.</summary>
    /// <param name="epoch">The epoch, ≥ 0.</param>
    public IEnumerable<(Tensor<float> X, int[] Y)> Epoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        return Batches(epoch);
    }

    /// <summary>Starts the next epoch and enumerates its batches.</summary>
    public IEnumerator<(Tensor<float> X, int[] Y)> GetEnumerator()
        => Batches(Interlocked.Increment(ref _nextEpoch) - 1).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<(Tensor<float> X, int[] Y)> Batches(int epoch)
    {
        int[] order = Order(epoch);
        int[] shape = Dataset.Features.ShapeArray();
        ReusedBuffer<float>? shared = _reuseBuffers ? new ReusedBuffer<float>(
            $"DataLoader: this batch was overwritten by the next one (the loader was made with reuseBuffers: true, so the full batches of a pass share one buffer). Clone() a batch to keep it, or create the loader without reuseBuffers.") : null;
        for (int start = 0; start < order.Length; start += BatchSize)
        {
            int count = Math.Min(BatchSize, order.Length - start);
            if (count < BatchSize && DropLast)
            {
                yield break;
            }

            shape[0] = count;
            // The short last batch comes once per epoch, so it gets its own buffer.
            Tensor<float> x = shared is not null && count == BatchSize ? shared.Next(shape) : Tensor.Zeros<float>(shape);
            int[] y = new int[count];

            Dataset.Gather(order.AsSpan(start, count), x.MutableSpan(), y);
            yield return (x, y);
        }
    }
}
