using System.Globalization;
using System.Text;

namespace Autodiff.NN;

/// <summary>Classification metrics: accuracy and the confusion matrix, with a printable table.</summary>
public static class Metrics
{
    /// <summary>The fraction of samples whose predicted class equals the true class.</summary>
    /// <param name="predicted">The predicted class of each sample (e.g. <c>logits.ArgMax()</c>).</param>
    /// <param name="labels">The true class of each sample.</param>
    public static double Accuracy(int[] predicted, int[] labels)
    {
        CheckPair(predicted, labels, nameof(Accuracy));
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (predicted[i] == labels[i])
            {
                correct++;
            }
        }

        return (double)correct / labels.Length;
    }

    /// <summary>
    /// Counts of (true class, predicted class) pairs: entry [t, p] is the number of samples of class t that were
    /// predicted as p. The diagonal holds the correct predictions; a row sums to the number of samples of its class.
    /// </summary>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <param name="labels">The true class of each sample.</param>
    /// <param name="classes">The number of classes; every class must be in 0 … classes − 1.</param>
    public static int[,] ConfusionMatrix(int[] predicted, int[] labels, int classes)
    {
        CheckPair(predicted, labels, nameof(ConfusionMatrix), allowEmpty: true);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var matrix = new int[classes, classes];
        for (int i = 0; i < labels.Length; i++)
        {
            CheckClass(labels[i], classes, i, "true class", nameof(labels));
            CheckClass(predicted[i], classes, i, "predicted class", nameof(predicted));
            matrix[labels[i], predicted[i]]++;
        }

        return matrix;
    }

    /// <summary>
    /// The confusion matrix as a text table: one row per true class, one column per predicted class, and a last
    /// column with the row's recall (the share of that class predicted correctly).
    /// </summary>
    /// <param name="matrix">A matrix from <see cref="ConfusionMatrix(int[], int[], int)"/>.</param>
    /// <param name="classNames">Names for the rows and columns; the class indices when null.</param>
    public static string FormatConfusionMatrix(int[,] matrix, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n)
        {
            throw new ArgumentException($"FormatConfusionMatrix: the matrix must be square; it is {n}×{matrix.GetLength(1)}.", nameof(matrix));
        }

        if (classNames is not null && classNames.Count != n)
        {
            throw new ArgumentException($"FormatConfusionMatrix: {classNames.Count} class names for {n} classes.", nameof(classNames));
        }

        // Long class names would make every column wide, so with names the columns are headed by index and the
        // rows carry "index name".
        string[] columnHeads = [.. Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture))];
        string[] rowHeads = classNames is null ? columnHeads : [.. columnHeads.Zip(classNames, (i, name) => $"{i} {name}")];
        const string Corner = "true \\ predicted";
        int labelWidth = Math.Max(Corner.Length, rowHeads.Append("").Max(s => s.Length));
        int cellWidth = columnHeads.Append("").Max(s => s.Length);
        foreach (int count in matrix)
        {
            cellWidth = Math.Max(cellWidth, count.ToString(CultureInfo.InvariantCulture).Length);
        }

        var sb = new StringBuilder();
        sb.Append(Corner.PadRight(labelWidth));
        foreach (string head in columnHeads)
        {
            sb.Append("  ").Append(head.PadLeft(cellWidth));
        }

        sb.Append("  recall\n");
        for (int t = 0; t < n; t++)
        {
            sb.Append(rowHeads[t].PadRight(labelWidth));
            int rowTotal = 0;
            for (int p = 0; p < n; p++)
            {
                sb.Append("  ").Append(matrix[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(cellWidth));
                rowTotal += matrix[t, p];
            }

            string recall = rowTotal == 0 ? "–" : (100.0 * matrix[t, t] / rowTotal).ToString("F1", CultureInfo.InvariantCulture) + "%";
            sb.Append("  ").Append(recall.PadLeft(6)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The confusion matrix of <paramref name="predicted"/> against <paramref name="labels"/>, formatted as a table.</summary>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <param name="labels">The true class of each sample.</param>
    /// <param name="classes">The number of classes.</param>
    /// <param name="classNames">Names for the rows; the class indices when null.</param>
    public static string FormatConfusionMatrix(int[] predicted, int[] labels, int classes, IReadOnlyList<string>? classNames = null)
        => FormatConfusionMatrix(ConfusionMatrix(predicted, labels, classes), classNames);

    private static void CheckPair(int[] predicted, int[] labels, string op, bool allowEmpty = false)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(labels);
        if (predicted.Length != labels.Length)
        {
            throw new ArgumentException($"{op}: {predicted.Length} predictions for {labels.Length} labels.", nameof(predicted));
        }

        if (labels.Length == 0 && !allowEmpty)
        {
            throw new ArgumentException($"{op}: no samples; the accuracy of an empty set is undefined.", nameof(labels));
        }
    }

    private static void CheckClass(int value, int classes, int sample, string what, string paramName)
    {
        if ((uint)value >= (uint)classes)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"ConfusionMatrix: {what} {value} of sample {sample} is outside 0 … {classes - 1}.");
        }
    }
}
