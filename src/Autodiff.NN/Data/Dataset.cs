using System.Globalization;

namespace Autodiff.NN.Data;

/// <summary>
/// A labelled data set held in memory: a features tensor whose first dimension indexes the samples, and one
/// integer class label per sample.
/// </summary>
/// <remarks>
/// The features tensor is shared, not copied (operations never change a tensor's data); the labels are copied,
/// so changing the array passed in does not change the data set.
/// </remarks>
public sealed class Dataset
{
    private readonly int[] _labels;

    /// <summary>Creates a data set from features of shape [N, D…] and N labels.</summary>
    /// <param name="features">The samples; dimension 0 indexes them.</param>
    /// <param name="labels">The class of each sample, ≥ 0.</param>
    public Dataset(Tensor<float> features, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Rank == 0)
        {
            throw new ArgumentException("Dataset: features must have a sample dimension (shape [N, D…]); got a rank-0 tensor.", nameof(features));
        }

        if (features.Shape[0] != labels.Length)
        {
            throw new ArgumentException(
                $"Dataset: features have {features.Shape[0]} samples (shape {FormatShape(features.Shape)}) but there are {labels.Length} labels.",
                nameof(labels));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0)
            {
                throw new ArgumentException($"Dataset: label {labels[i]} of sample {i} is negative; labels are class indices 0, 1, ….", nameof(labels));
            }
        }

        Features = features;
        _labels = (int[])labels.Clone();
    }

    /// <summary>The samples, shape [N, D…].</summary>
    public Tensor<float> Features { get; }

    /// <summary>The class of each sample (length N). The array is the data set's own: do not change it.</summary>
    public int[] Labels => _labels;

    /// <summary>The number of samples, N.</summary>
    public int Count => _labels.Length;

    /// <summary>The shape of one sample: the features' shape without its first dimension.</summary>
    public int[] SampleShape => Features.ShapeArray()[1..];

    /// <summary>The number of floats in one sample (the product of <see cref="SampleShape"/>).</summary>
    public int SampleSize => Count == 0 ? SizeOf(SampleShape) : Features.Size / Count;

    /// <summary>One more than the largest label (0 for an empty set): the number of classes a classifier needs.</summary>
    public int ClassCount => Count == 0 ? 0 : _labels.Max() + 1;

    /// <summary>The samples at <paramref name="indices"/>, in that order (an index may repeat), as a new data set.</summary>
    /// <param name="indices">Sample indices, each in 0 … N − 1.</param>
    public Dataset Subset(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int[] shape = Features.ShapeArray();
        shape[0] = indices.Length;
        var features = Tensor.Zeros<float>(shape);
        var labels = new int[indices.Length];
        Gather(indices, features.MutableSpan(), labels);
        return new Dataset(features, labels);
    }

    /// <summary>
    /// Splits into a training and a test set by a seeded shuffle: the test set gets round(N · testFraction)
    /// samples (per class when <paramref name="stratify"/> is set), the training set the rest. Both keep the
    /// shuffled order; the same seed gives the same split.
    /// </summary>
    /// <param name="testFraction">The share of samples for the test set, in [0, 1].</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <param name="stratify">
    /// Whether to give every class the same share in both sets (round(n_c · testFraction) test samples of class c),
    /// so that a small test set still contains every class.
    /// </param>
    public (Dataset Train, Dataset Test) Split(double testFraction, int seed, bool stratify = false)
    {
        if (!(testFraction >= 0.0 && testFraction <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "Split: testFraction must be in [0, 1].");
        }

        // Stream −1 keeps splits apart from the loader's epochs 0, 1, … of the same seed.
        int[] order = Permutations.Shuffled(Count, seed, stream: -1);
        var train = new List<int>(Count);
        var test = new List<int>(Count);
        if (stratify)
        {
            var perClass = new int[ClassCount];
            foreach (int label in _labels)
            {
                perClass[label]++;
            }

            var wanted = perClass.Select(n => (int)Math.Round(n * testFraction, MidpointRounding.AwayFromZero)).ToArray();
            foreach (int i in order)
            {
                bool toTest = wanted[_labels[i]] > 0;
                if (toTest)
                {
                    wanted[_labels[i]]--;
                }

                (toTest ? test : train).Add(i);
            }
        }
        else
        {
            int testCount = (int)Math.Round(Count * testFraction, MidpointRounding.AwayFromZero);
            test.AddRange(order.AsSpan(0, testCount));
            train.AddRange(order.AsSpan(testCount));
        }

        return (Subset([.. train]), Subset([.. test]));
    }

    /// <summary>Copies the samples at <paramref name="indices"/> into a batch buffer and their labels into <paramref name="labels"/>.</summary>
    internal void Gather(ReadOnlySpan<int> indices, Span<float> destination, Span<int> labels)
    {
        int size = SampleSize;
        ReadOnlySpan<float> source = Features.Span;
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), i, $"Dataset: index {i} (at position {k}) is outside 0 … {Count - 1}.");
            }

            source.Slice(i * size, size).CopyTo(destination.Slice(k * size, size));
            labels[k] = _labels[i];
        }
    }

    /// <summary>"Dataset(N samples of [D…], C classes)".</summary>
    public override string ToString()
        => $"Dataset({Count} samples of {FormatShape(SampleShape)}, {ClassCount} classes)";

    internal static string FormatShape(ReadOnlySpan<int> shape)
        => "[" + string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static int SizeOf(int[] shape) => shape.Aggregate(1, (a, b) => checked(a * b));
}
