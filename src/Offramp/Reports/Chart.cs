using Offramp.Engine.IO;

namespace Offramp.Reports;

/// <summary>
/// A chart drawn as SVG text: <see cref="LineChart"/> or <see cref="BarChart"/>. The SVG is valid XML, uses
/// only presentation attributes (no CSS, scripts or external assets, so it can be inlined in HTML or opened
/// alone), writes numbers with the invariant culture, and is deterministic: the same chart gives the same bytes.
/// </summary>
public abstract class Chart
{
    private int _width = 640;
    private int _height = 400;

    private protected Chart(string title) => Title = title ?? "";

    /// <summary>Title above the plot; empty for none.</summary>
    public string Title { get; set; }

    /// <summary>Label under the x axis; empty for none.</summary>
    public string XLabel { get; set; } = "";

    /// <summary>Label left of the y axis (rotated); empty for none.</summary>
    public string YLabel { get; set; } = "";

    /// <summary>Width in pixels (240–8000, default 640).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 240–8000.</exception>
    public int Width
    {
        get => _width;
        set => _width = value is >= 240 and <= 8000
            ? value : throw new ArgumentOutOfRangeException(nameof(value), $"chart width {value} outside 240–8000");
    }

    /// <summary>Height in pixels (160–8000, default 400).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside 160–8000.</exception>
    public int Height
    {
        get => _height;
        set => _height = value is >= 160 and <= 8000
            ? value : throw new ArgumentOutOfRangeException(nameof(value), $"chart height {value} outside 160–8000");
    }

    /// <summary>The chart as an SVG document (an <c>&lt;svg&gt;</c> element, no XML declaration).</summary>
    /// <exception cref="InvalidOperationException">The chart has nothing to draw (see the chart type).</exception>
    public string ToSvg() => Render("chart");

    /// <summary>
    /// Writes the SVG, with an XML declaration, to <paramref name="path"/> atomically (temp file + rename).
    /// </summary>
    public void Save(string path) =>
        AtomicFile.WriteAllText(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + ToSvg());

    /// <summary>Renders with element ids prefixed by <paramref name="idPrefix"/> (unique per HTML page).</summary>
    internal abstract string Render(string idPrefix);
}
