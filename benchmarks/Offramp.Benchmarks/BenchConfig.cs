using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Offramp.Benchmarks;

/// <summary>
/// Short in-process jobs plus a GFLOP/s column. In-process: the machine is shared and small, and building
/// BenchmarkDotNet's separate boilerplate project there exceeded its 2-minute build timeout.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.ShortRun.WithWarmupCount(2).WithIterationCount(5).WithToolchain(InProcessEmitToolchain.Instance))
        .AddColumn(new GflopsColumn());
}

/// <summary>
/// GFLOP/s of a benchmark: the flop count of its <see cref="GemmShape"/> or <see cref="ConvShape"/> parameter
/// (three times the forward's for a forward + backward method) divided by the mean time.
/// </summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Floating-point operations per second (2 per multiply-add), in billions";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null)
        {
            return "-";
        }

        double flops = 0;
        foreach (var p in benchmarkCase.Parameters.Items)
        {
            flops = p.Value switch
            {
                GemmShape g => g.Flops,
                ConvShape c => c.Flops * (benchmarkCase.Descriptor.WorkloadMethod.Name.Contains("Backward", StringComparison.Ordinal) ? 3 : 1),
                _ => flops,
            };
        }

        return flops == 0 ? "-" : (flops / stats.Mean).ToString("F2", System.Globalization.CultureInfo.InvariantCulture); // flop/ns = GFLOP/s
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
