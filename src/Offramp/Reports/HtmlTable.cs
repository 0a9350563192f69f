using System.Globalization;
using System.Text;

namespace Offramp.Reports;

/// <summary>
/// A simple HTML table: a header row and data rows. Cells are formatted with the invariant culture (floating
/// point with <see cref="NumberFormat"/>, NaN as "–") and escaped; columns whose cells are all numbers are
/// right-aligned.
/// </summary>
public sealed class HtmlTable
{
    private readonly string[] _headers;
    private readonly List<object?[]> _rows = [];

    /// <summary>Creates a table with these column headers.</summary>
    /// <exception cref="ArgumentException">There are no headers.</exception>
    public HtmlTable(params string[] headers)
    {
        if (headers.Length == 0)
        {
            throw new ArgumentException("HtmlTable needs at least one column");
        }

        _headers = [.. headers.Select(h => h ?? "")];
    }

    /// <summary>Optional caption shown above the table.</summary>
    public string? Caption { get; set; }

    /// <summary>.NET format for double and float cells (default "G6").</summary>
    public string NumberFormat { get; set; } = "G6";

    /// <summary>Number of data rows.</summary>
    public int RowCount => _rows.Count;

    /// <summary>Appends a row: strings as text, numbers formatted, null as an empty cell.</summary>
    /// <exception cref="ArgumentException">The cell count differs from the header count.</exception>
    public HtmlTable AddRow(params object?[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"row has {cells.Length} cells, the table has {_headers.Length} columns");
        }

        _rows.Add([.. cells]);
        return this;
    }

    /// <summary>The table as an HTML fragment (<c>&lt;table&gt;</c> element).</summary>
    public string ToHtml()
    {
        var numeric = Enumerable.Range(0, _headers.Length)
            .Select(c => _rows.Count > 0 && _rows.All(r => r[c] is null || IsNumber(r[c]!))).ToArray();
        var sb = new StringBuilder("<table>\n");
        if (!string.IsNullOrEmpty(Caption))
        {
            sb.Append("<caption>").Append(SvgWriter.Escape(Caption)).Append("</caption>\n");
        }

        sb.Append("<thead><tr>");
        for (int c = 0; c < _headers.Length; c++)
        {
            sb.Append(numeric[c] ? "<th class=\"num\">" : "<th>").Append(SvgWriter.Escape(_headers[c])).Append("</th>");
        }

        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in _rows)
        {
            sb.Append("<tr>");
            for (int c = 0; c < row.Length; c++)
            {
                sb.Append(numeric[c] ? "<td class=\"num\">" : "<td>")
                    .Append(SvgWriter.Escape(Format(row[c]))).Append("</td>");
            }

            sb.Append("</tr>\n");
        }

        return sb.Append("</tbody>\n</table>").ToString();
    }

    private static bool IsNumber(object v) =>
        v is double or float or decimal or int or long or short or byte or sbyte or uint or ulong or ushort;

    private string Format(object? v) => v switch
    {
        null => "",
        double d when double.IsNaN(d) => "–",
        float f when float.IsNaN(f) => "–",
        double d => d.ToString(NumberFormat, CultureInfo.InvariantCulture),
        float f => f.ToString(NumberFormat, CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
