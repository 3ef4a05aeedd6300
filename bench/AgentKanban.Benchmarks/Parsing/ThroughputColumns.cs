using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace AgentKanban.Benchmarks.Parsing;

/// <summary>Adds MB/s (decimal megabytes of transcript per second) and allocated bytes per line to the summary.</summary>
internal sealed class ParseConfig : ManualConfig
{
    public ParseConfig()
    {
        // The generated benchmark project is built on a busy 2-core machine; the default 2 minutes is too short.
        WithBuildTimeout(TimeSpan.FromMinutes(15));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Min);
        AddColumn(new TranscriptColumn("MB/s", "Transcript megabytes parsed per second (from the mean)", (bytes, _, mean, _) => bytes / 1e6 / (mean / 1e9)));
        AddColumn(new TranscriptColumn("MB/s best", "Transcript megabytes parsed per second in the fastest iteration (on a shared machine the mean mostly measures contention)", (bytes, _, min, _) => bytes / 1e6 / (min / 1e9), useMin: true));
        AddColumn(new TranscriptColumn("Alloc/line", "Bytes allocated per transcript line", (_, lines, _, allocated) => (double)allocated / lines));
        AddColumn(new TranscriptColumn("Lines", "Lines in the transcript", (_, lines, _, _) => lines));
    }
}

internal sealed class TranscriptColumn(string name, string legend, Func<long, long, double, long, double> compute, bool useMin = false) : IColumn
{
    public string Id => $"{nameof(TranscriptColumn)}.{name}";

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var kind = benchmarkCase.Parameters["Transcript"] as string ?? TranscriptFiles.Plain;
        var (bytes, lines) = TranscriptFiles.Measure(kind);
        if (report?.ResultStatistics is not { } stats || bytes == 0 || lines == 0)
        {
            return "-";
        }

        var allocated = report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase) ?? 0;
        return compute(bytes, lines, useMin ? stats.Min : stats.Mean, allocated).ToString("N1", System.Globalization.CultureInfo.InvariantCulture);
    }
}
