using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Autodiff.Bench;

/// <summary>
/// A summary column computed from each benchmark's median time: <c>work(case) / median</c>, where the work is
/// counted per benchmark case (floating-point operations, elements…).
/// </summary>
/// <param name="name">The column's header.</param>
/// <param name="legend">What the column means, printed under the table.</param>
/// <param name="work">The work done by one invocation of the case.</param>
/// <param name="perNanosecond">Whether to print work per nanosecond (true) or nanoseconds per unit of work (false).</param>
internal sealed class ThroughputColumn(string name, string legend, Func<BenchmarkCase, double> work, bool perNanosecond) : IColumn
{
    public string Id => $"{nameof(ThroughputColumn)}.{ColumnName}";

    public string ColumnName { get; } = name;

    public string Legend { get; } = legend;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        if (median is not > 0)
        {
            return "NA";
        }

        double value = perNanosecond ? work(benchmarkCase) / median.Value : median.Value / work(benchmarkCase);
        return value.ToString(value >= 100 ? "F0" : value >= 10 ? "F1" : "F3", CultureInfo.InvariantCulture);
    }

    public override string ToString() => ColumnName;
}

/// <summary>Adds a GFLOP/s column (2n³ / median time) to a square matrix-product benchmark with an <c>N</c> parameter.</summary>
internal sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig() => AddColumn(new ThroughputColumn(
        "GFLOP/s",
        "2n³ floating-point operations / median time",
        c => 2.0 * Math.Pow(Convert.ToDouble(c.Parameters["N"], CultureInfo.InvariantCulture), 3),
        perNanosecond: true));
}

/// <summary>Adds an ns/element column (median time / elements) to a benchmark over <see cref="ElementwiseBenchmarks.Size"/> elements.</summary>
internal sealed class NsPerElementConfig : ManualConfig
{
    public NsPerElementConfig() => AddColumn(new ThroughputColumn(
        "ns/elem",
        "median time / number of elements",
        _ => ElementwiseBenchmarks.Size,
        perNanosecond: false));
}
