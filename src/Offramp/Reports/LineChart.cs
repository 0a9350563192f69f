namespace Offramp.Reports;

/// <summary>
/// A line / scatter chart of named series with a legend, nice ticks (1/2/5 × 10^k), optional log-x axis and
/// annotations (a labelled vertical line such as a budget, a horizontal line, or a labelled point).
/// </summary>
/// <remarks>
/// <para>Points with a NaN or infinite coordinate are skipped and break the series' line. A series with no
/// finite point stays in the legend, marked "(no data)". A chart with no finite point in any series throws
/// <see cref="InvalidOperationException"/> when rendered.</para>
/// <para>With <see cref="LogX"/>, every finite x (and <see cref="XMin"/>, annotation x) must be &gt; 0;
/// otherwise rendering throws <see cref="InvalidOperationException"/> naming the series and point.</para>
/// <para>Axes extend to the outer nice ticks unless <see cref="XMin"/>/<see cref="XMax"/>/<see cref="YMin"/>/
/// <see cref="YMax"/> fix them. Lines and markers are clipped to the plot area.</para>
/// </remarks>
public sealed partial class LineChart : Chart
{
    private readonly List<ChartSeries> _series = [];
    private readonly List<ChartAnnotation> _annotations = [];

    /// <summary>Creates an empty chart.</summary>
    public LineChart(string title = "")
        : base(title)
    {
    }

    /// <summary>Draw x on a log-10 axis (decade ticks).</summary>
    public bool LogX { get; set; }

    /// <summary>Fixed lower x bound, or null to fit the data.</summary>
    public double? XMin { get; set; }

    /// <summary>Fixed upper x bound, or null to fit the data.</summary>
    public double? XMax { get; set; }

    /// <summary>Fixed lower y bound (e.g. 0 for accuracy), or null to fit the data.</summary>
    public double? YMin { get; set; }

    /// <summary>Fixed upper y bound (e.g. 1 for accuracy), or null to fit the data.</summary>
    public double? YMax { get; set; }

    /// <summary>The series in drawing (and legend) order.</summary>
    public IReadOnlyList<ChartSeries> Series => _series;

    /// <summary>The annotations in drawing order.</summary>
    public IReadOnlyList<ChartAnnotation> Annotations => _annotations;

    /// <summary>Adds a series; colours follow the order of addition.</summary>
    /// <param name="name">Legend name (any text; it is escaped).</param>
    /// <param name="x">x coordinates.</param>
    /// <param name="y">y coordinates, as many as <paramref name="x"/>.</param>
    /// <param name="style">Lines, markers or both.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public LineChart AddSeries(
        string name, IReadOnlyList<double> x, IReadOnlyList<double> y, SeriesStyle style = SeriesStyle.LinesAndMarkers)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (x.Count != y.Count)
        {
            throw new ArgumentException($"series '{name}': {x.Count} x values but {y.Count} y values");
        }

        _series.Add(new ChartSeries(name, [.. x], [.. y], style));
        return this;
    }

    /// <summary>Adds a dashed vertical line at <paramref name="x"/> labelled <paramref name="label"/> (a budget).</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not finite.</exception>
    public LineChart AddVerticalLine(double x, string label) =>
        Annotate(new ChartAnnotation(AnnotationKind.VerticalLine, x, 0, label));

    /// <summary>Adds a dashed horizontal line at <paramref name="y"/> (e.g. the final exit's accuracy).</summary>
    /// <exception cref="ArgumentException"><paramref name="y"/> is not finite.</exception>
    public LineChart AddHorizontalLine(double y, string label) =>
        Annotate(new ChartAnnotation(AnnotationKind.HorizontalLine, 0, y, label));

    /// <summary>Adds a ringed, labelled point at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <exception cref="ArgumentException">A coordinate is not finite.</exception>
    public LineChart AddPoint(double x, double y, string label) =>
        Annotate(new ChartAnnotation(AnnotationKind.Point, x, y, label));

    private LineChart Annotate(ChartAnnotation a)
    {
        ArgumentNullException.ThrowIfNull(a.Label);
        if (!double.IsFinite(a.X) || !double.IsFinite(a.Y))
        {
            throw new ArgumentException($"annotation '{a.Label}' needs finite coordinates, got ({a.X}, {a.Y})");
        }

        _annotations.Add(a);
        return this;
    }
}
