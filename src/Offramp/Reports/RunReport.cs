using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Offramp.Engine.IO;
using Offramp.Training;

namespace Offramp.Reports;

/// <summary>
/// The report of a trained run: accuracy vs average MACs (the budgeted curve with each exit's anytime point), the exit
/// histogram at a chosen budget, a per-exit accuracy / MACs / latency table, measured vs counted speed-ups, and the
/// training curves — as one self-contained HTML file with SVG charts, and the same numbers as JSON and CSV.
/// </summary>
public static partial class RunReport
{
    /// <summary>File names written by <see cref="Save"/>.</summary>
    public const string HtmlFile = "report.html", JsonFile = "report.json", CurveCsv = "report_curve.csv",
        ExitsCsv = "report_exits.csv", SpeedupCsv = "report_speedup.csv", TrainingCsv = "report_training.csv";

    /// <summary>Writes report.html, report.json and the CSV files into <paramref name="directory"/> (atomically each).</summary>
    /// <returns>The paths written.</returns>
    /// <exception cref="IOException">A file cannot be written.</exception>
    public static IReadOnlyList<string> Save(RunReportData data, string directory)
    {
        ArgumentNullException.ThrowIfNull(data);
        var files = new Dictionary<string, string>
        {
            [HtmlFile] = ToHtml(data),
            [JsonFile] = ToJson(data).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n",
            [CurveCsv] = CurveToCsv(data),
            [ExitsCsv] = ExitsToCsv(data),
            [SpeedupCsv] = SpeedupsToCsv(data),
            [TrainingCsv] = TrainingToCsv(data),
        };
        return ReportFiles.WriteAll(directory, files);
    }

    /// <summary>Reads a run's <c>log.jsonl</c> (one epoch per line); a missing file gives an empty list.</summary>
    /// <exception cref="FormatException">A line is not an epoch entry; the message names the file and line.</exception>
    public static IReadOnlyList<EpochLogEntry> ReadTrainingLog(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var list = new List<EpochLogEntry>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                list.Add(JsonSerializer.Deserialize(line, TrainJsonContext.Default.EpochLogEntry)
                    ?? throw new FormatException("null entry"));
            }
            catch (JsonException e)
            {
                throw new FormatException($"{path}:{lineNo}: not a training log entry: {e.Message}", e);
            }
        }

        return list;
    }

    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("G9", CultureInfo.InvariantCulture);

    private static string Csv(IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(",", header)).Append('\n');
        foreach (var r in rows)
        {
            sb.Append(string.Join(",", r.Select(c => c.Contains(',', StringComparison.Ordinal) ? $"\"{c}\"" : c))).Append('\n');
        }

        return sb.ToString();
    }

    private static JsonNode? J(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
