namespace Autodiff.NN.Tests;

/// <summary>Accuracy and the confusion matrix on cases small enough to count by hand.</summary>
[TestFixture]
public sealed class MetricsTests
{
    private static readonly int[] s_labels = [0, 0, 1, 1, 1, 2];
    private static readonly int[] s_predicted = [0, 1, 1, 1, 2, 2];

    [Test]
    public void Accuracy_is_the_share_of_correct_predictions()
    {
        Assert.That(Metrics.Accuracy(s_predicted, s_labels), Is.EqualTo(4.0 / 6));
        Assert.That(Metrics.Accuracy([3, 3], [3, 3]), Is.EqualTo(1.0));
        Assert.That(Metrics.Accuracy([1], [0]), Is.Zero);
    }

    [Test]
    public void Accuracy_rejects_mismatched_and_empty_inputs()
    {
        var ex = Assert.Throws<ArgumentException>(() => Metrics.Accuracy([1, 2], [1]));
        Assert.That(ex!.Message, Does.Contain("2 predictions for 1 labels"));
        Assert.Throws<ArgumentException>(() => Metrics.Accuracy([], []));
    }

    [Test]
    public void Confusion_matrix_rows_are_true_classes_and_columns_predictions()
    {
        int[,] m = Metrics.ConfusionMatrix(s_predicted, s_labels, classes: 4);
        int[,] expected =
        {
            { 1, 1, 0, 0 },
            { 0, 2, 1, 0 },
            { 0, 0, 1, 0 },
            { 0, 0, 0, 0 },
        };
        Assert.That(m, Is.EqualTo(expected));
        Assert.That(Metrics.ConfusionMatrix([], [], 2), Is.EqualTo(new int[2, 2]));
    }

    [Test]
    public void Confusion_matrix_rejects_classes_out_of_range()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.ConfusionMatrix([0, 3], [0, 1], classes: 3));
        Assert.That(ex!.Message, Does.Contain("predicted class 3 of sample 1"));
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.ConfusionMatrix([0], [-1], classes: 3));
        Assert.That(ex!.Message, Does.Contain("true class -1"));
    }

    [Test]
    public void The_formatted_table_lists_counts_and_recall_per_class()
    {
        string table = Metrics.FormatConfusionMatrix(s_predicted, s_labels, classes: 3);
        string[] lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(4));
        Assert.That(lines[0], Does.StartWith("true \\ predicted").And.EndWith("recall"));
        Assert.That(lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "0", "1", "1", "0", "50.0%" }));
        Assert.That(lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "1", "0", "2", "1", "66.7%" }));
        Assert.That(lines.Select(l => l.Length).Distinct().Count(), Is.EqualTo(1), "columns line up");
    }

    [Test]
    public void The_formatted_table_can_name_the_classes()
    {
        string table = Metrics.FormatConfusionMatrix(new[,] { { 5, 0 }, { 1, 0 } }, ["cat", "dog"]);
        Assert.That(table, Does.Contain("0 cat").And.Contain("1 dog").And.Contain("100.0%").And.Contain("0.0%"));
        string[] lines = Metrics.FormatConfusionMatrix(new int[2, 2], ["a rather long class name", "b"]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines.Select(l => l.Length).Distinct().Count(), Is.EqualTo(1), "columns line up after long names");
        Assert.That(lines[2], Does.Contain("–"), "no recall for a class without samples");
        Assert.Throws<ArgumentException>(() => Metrics.FormatConfusionMatrix(new int[2, 2], ["only one"]));
        Assert.Throws<ArgumentException>(() => Metrics.FormatConfusionMatrix(new int[2, 3]));
    }
}
