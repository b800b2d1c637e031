namespace Autodiff.NN.Data;

/// <summary>
/// Fashion-MNIST (Zalando, MIT/Expat licence): 28×28 grayscale images of clothing in 10 classes, 60,000 for
/// training and 10,000 for testing, read from the four IDX files that Debian's <c>dataset-fashion-mnist</c>
/// package installs.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where <c>apt-get install dataset-fashion-mnist</c> puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The names of classes 0 … 9.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads the training and test sets, features [N, 784] scaled to [0, 1]. Each file is looked for as
    /// <c>name.gz</c>, then unpacked as <c>name</c>.
    /// </summary>
    /// <param name="directory">The folder holding <c>train-images-idx3-ubyte.gz</c> and the three other files.</param>
    /// <exception cref="FileNotFoundException">A file is missing; the message says how to install the data set.</exception>
    public static (Dataset Train, Dataset Test) Load(string directory = DefaultDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Dataset train = Idx.LoadImagesAndLabels(Find(directory, "train-images-idx3-ubyte"), Find(directory, "train-labels-idx1-ubyte"));
        Dataset test = Idx.LoadImagesAndLabels(Find(directory, "t10k-images-idx3-ubyte"), Find(directory, "t10k-labels-idx1-ubyte"));
        return (train, test);
    }

    private static string Find(string directory, string name)
    {
        string gz = Path.Combine(directory, name + ".gz");
        if (File.Exists(gz))
        {
            return gz;
        }

        string plain = Path.Combine(directory, name);
        if (File.Exists(plain))
        {
            return plain;
        }

        string full = Path.GetFullPath(gz);
        throw new FileNotFoundException(
            $"Fashion-MNIST file not found: '{full}' (nor '{Path.GetFullPath(plain)}'). "
            + $"On Debian or Ubuntu, install the data set with 'sudo apt-get install dataset-fashion-mnist', which puts the IDX files in {DefaultDirectory}; "
            + "otherwise download the four *-ubyte.gz files from https://github.com/zalandoresearch/fashion-mnist and pass their folder.",
            full);
    }
}
