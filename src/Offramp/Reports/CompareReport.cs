using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Offramp.Engine.IO;

namespace Offramp.Reports;

/// <summary>Curve A against curve B (runs by index in <see cref="CompareReport.Runs"/>) over the low-budget half of
/// their common MACs range; <paramref name="Result"/> is null when their cost ranges do not overlap.</summary>
public sealed record CompareReportPair(int A, int B, LowBudgetComparison? Result);

/// <summary>
/// Runs side by side (the paper's Table 3 and its accuracy-vs-MACs figures): one chart overlaying every run's budgeted
/// curve and per-exit points, a table with one row per run (per-exit test accuracy, full-model MACs, parameters,
/// epochs, accuracy within absolute budgets), and for each pair of runs which curve is higher over the low-budget
/// half of their common MACs range — as one self-contained HTML page, <c>compare.json</c> and <c>compare.csv</c>.
/// </summary>
/// <remarks>
/// Budgets are absolute: fractions (default 25/50/75 %) of the <em>largest</em> run's full-model MACs, so every run is
/// held to the same number of MACs. A run's accuracy within a budget is its operating point (a sweep point or an
/// exit's anytime point) with the largest cost ≤ the budget; NaN ("—") when its first exit already costs more.
/// The pair comparison uses the plotted curves (the sweep points, linearly interpolated, never extrapolated).
/// </remarks>
public sealed partial class CompareReport
{
    /// <summary>File names written by <see cref="Save"/>.</summary>
    public const string HtmlFile = "compare.html", JsonFile = "compare.json", CsvFile = "compare.csv";

    /// <summary>Default budgets, as fractions of the largest run's full-model MACs.</summary>
    public static readonly IReadOnlyList<double> DefaultBudgetFractions = [0.25, 0.5, 0.75];

    /// <summary>Compares <paramref name="runs"/> (at least two) at <paramref name="budgetFractions"/> of the largest
    /// run's full cost (default <see cref="DefaultBudgetFractions"/>).</summary>
    /// <exception cref="ArgumentException">Fewer than two runs, duplicate labels, or a fraction outside (0, 1].</exception>
    public CompareReport(IReadOnlyList<CompareRun> runs, IReadOnlyList<double>? budgetFractions = null)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count < 2)
        {
            throw new ArgumentException($"a comparison needs at least 2 runs, got {runs.Count}", nameof(runs));
        }

        var dup = runs.GroupBy(r => r.Label, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
        {
            throw new ArgumentException($"two runs are labelled '{dup.Key}'; give each run its own label", nameof(runs));
        }

        budgetFractions ??= DefaultBudgetFractions;
        foreach (double f in budgetFractions)
        {
            if (!(f > 0 && f <= 1))
            {
                throw new ArgumentException($"budget fraction {f} is outside (0, 1]", nameof(budgetFractions));
            }
        }

        Runs = [.. runs];
        MaxFullCost = runs.Max(r => r.Curve.FullCost);
        BudgetFractions = [.. budgetFractions];
        Budgets = [.. budgetFractions.Select(f => f * MaxFullCost)];
        AccuracyWithinBudget = [.. runs.Select(r => (IReadOnlyList<double>)[.. Budgets.Select(b => CurveComparison.AccuracyWithin(r.OperatingPoints, b))])];
        var curves = runs.Select(r => CurveComparison.ToCurve(r.SweepPoints)).ToArray();
        var pairs = new List<CompareReportPair>();
        for (int i = 0; i < runs.Count; i++)
        {
            for (int j = i + 1; j < runs.Count; j++)
            {
                pairs.Add(new CompareReportPair(i, j, CurveComparison.CompareLowBudgetHalf(curves[i], curves[j])));
            }
        }

        Pairs = pairs;
    }

    /// <summary>The runs, in the order given.</summary>
    public IReadOnlyList<CompareRun> Runs { get; }

    /// <summary>The largest full-model MACs among the runs: the budgets' reference.</summary>
    public double MaxFullCost { get; }

    /// <summary>The budgets as fractions of <see cref="MaxFullCost"/>.</summary>
    public IReadOnlyList<double> BudgetFractions { get; }

    /// <summary>The budgets in MACs per sample.</summary>
    public IReadOnlyList<double> Budgets { get; }

    /// <summary>[run][budget]: test accuracy of the run's best operating point within the budget; NaN when none.</summary>
    public IReadOnlyList<IReadOnlyList<double>> AccuracyWithinBudget { get; }

    /// <summary>Every pair of runs (i &lt; j) compared over the low-budget half of their common MACs range.</summary>
    public IReadOnlyList<CompareReportPair> Pairs { get; }

    /// <summary>Writes compare.html, compare.json and compare.csv into <paramref name="directory"/> (atomically each).</summary>
    /// <returns>The paths written.</returns>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public IReadOnlyList<string> Save(string directory)
    {
        var files = new Dictionary<string, string>
        {
            [HtmlFile] = ToHtml(),
            [JsonFile] = ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n",
            [CsvFile] = ToCsv(),
        };
        return ReportFiles.WriteAll(directory, files);
    }

    /// <summary>One sentence on a pair: which curve is higher over the low-budget half, by how much of it.</summary>
    public string Describe(CompareReportPair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        string a = Runs[pair.A].Label, b = Runs[pair.B].Label;
        if (pair.Result is not { } r)
        {
            return $"{a} vs {b}: the curves share no MACs range, no comparison.";
        }

        string higher = r.FractionAHigher > r.FractionBHigher ? a : r.FractionBHigher > r.FractionAHigher ? b : "neither";
        return string.Create(CultureInfo.InvariantCulture,
            $"{a} vs {b}: over the low-budget half of the common MACs range ({r.CommonLow / 1e6:G4}–{r.HalfEnd / 1e6:G4} of {r.CommonLow / 1e6:G4}–{r.CommonHigh / 1e6:G4} MMACs), {a} is higher over {100 * r.FractionAHigher:F1} % and {b} over {100 * r.FractionBHigher:F1} % of it; mean {a} − {b} = {100 * r.MeanDifference:+0.00;-0.00;0.00} points. Higher: {higher}.");
    }

    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("G9", CultureInfo.InvariantCulture);

    private static JsonNode? J(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    private static string CsvCell(string c) =>
        c.Contains(',', StringComparison.Ordinal) || c.Contains('"', StringComparison.Ordinal)
            ? $"\"{c.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : c;

    private static string Csv(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(",", header.Select(CsvCell))).Append('\n');
        foreach (var r in rows)
        {
            sb.Append(string.Join(",", r.Select(CsvCell))).Append('\n');
        }

        return sb.ToString();
    }
}
