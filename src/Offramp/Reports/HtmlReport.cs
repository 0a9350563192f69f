using System.Text;

using Offramp.Engine.IO;

namespace Offramp.Reports;

/// <summary>
/// Assembles headings, paragraphs, charts, tables and preformatted text into one self-contained HTML page:
/// inline CSS, charts as inline SVG, no external assets and no JavaScript. Output is deterministic (no
/// timestamps); <see cref="Save"/> writes atomically.
/// </summary>
/// <example>
/// <code>
/// new HtmlReport("Budgeted accuracy")
///     .AddParagraph("Model: resnet-ee, seed 0.")
///     .AddChart(accuracyVsBudget, "Accuracy against the average budget.")
///     .AddTable(table)
///     .Save("report.html");
/// </code>
/// </example>
public sealed class HtmlReport
{
    private const string Css = """
        body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
               color: #222; background: #fff; max-width: 980px; margin: 2em auto; padding: 0 1em; line-height: 1.5; }
        h1 { font-size: 1.7em; margin-bottom: 0.3em; }
        h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #e6e6e6; padding-bottom: 0.2em; }
        h3, h4 { font-size: 1.1em; margin-top: 1.4em; }
        figure { margin: 1.2em 0; }
        figure svg { max-width: 100%; height: auto; }
        figcaption { color: #555; font-size: 0.92em; margin-top: 0.3em; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.95em; }
        caption { text-align: left; color: #555; padding-bottom: 0.3em; }
        th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #e6e6e6; text-align: left; }
        th { border-bottom: 2px solid #bbb; font-weight: 600; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        tbody tr:nth-child(even) { background: #fafafa; }
        pre { background: #f6f8fa; padding: 0.8em 1em; overflow-x: auto; font-size: 0.9em; }
        """;

    private readonly string _title;
    private readonly List<Func<int, string>> _blocks = [];

    /// <summary>Creates a report; <paramref name="title"/> is the page title and first heading.</summary>
    public HtmlReport(string title) => _title = title ?? "";

    /// <summary>Adds a heading of level 1–4 (h1–h4).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 1–4.</exception>
    public HtmlReport AddHeading(string text, int level = 2)
    {
        if (level is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(level), $"heading level {level} outside 1–4");
        }

        string escaped = SvgWriter.Escape(text ?? "");
        _blocks.Add(_ => $"<h{level}>{escaped}</h{level}>");
        return this;
    }

    /// <summary>Adds a paragraph of plain text (escaped; blank lines start new paragraphs).</summary>
    public HtmlReport AddParagraph(string text)
    {
        var paragraphs = (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal)
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => $"<p>{SvgWriter.Escape(p)}</p>");
        string html = string.Join("\n", paragraphs);
        _blocks.Add(_ => html);
        return this;
    }

    /// <summary>Adds preformatted text (a command line, a config) in a monospace block.</summary>
    public HtmlReport AddPreformatted(string text)
    {
        string escaped = SvgWriter.Escape(text ?? "");
        _blocks.Add(_ => $"<pre>{escaped}</pre>");
        return this;
    }

    /// <summary>Adds a chart as inline SVG, with an optional caption. The chart is rendered when the page is.</summary>
    public HtmlReport AddChart(Chart chart, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(chart);
        string? escaped = caption is null ? null : SvgWriter.Escape(caption);
        _blocks.Add(i => "<figure>\n" + chart.Render($"fig{i}") +
            (escaped is null ? "" : $"<figcaption>{escaped}</figcaption>\n") + "</figure>");
        return this;
    }

    /// <summary>Adds a table.</summary>
    public HtmlReport AddTable(HtmlTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _blocks.Add(_ => table.ToHtml());
        return this;
    }

    /// <summary>The complete HTML page.</summary>
    /// <exception cref="InvalidOperationException">A chart has nothing to draw.</exception>
    public string ToHtml()
    {
        string title = SvgWriter.Escape(_title);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(title).Append("</title>\n")
            .Append("<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n");
        if (title.Length > 0)
        {
            sb.Append("<h1>").Append(title).Append("</h1>\n");
        }

        for (int i = 0; i < _blocks.Count; i++)
        {
            sb.Append(_blocks[i](i)).Append('\n');
        }

        return sb.Append("</body>\n</html>\n").ToString();
    }

    /// <summary>Writes the page to <paramref name="path"/> atomically (temporary file, then rename), UTF-8.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToHtml());
}
