namespace Offramp.Reports;

/// <summary>How a legend entry shows its series.</summary>
internal enum LegendSwatch
{
    Line,
    Marker,
    LineAndMarker,
    Box,
}

/// <summary>
/// Layout and the parts every chart shares: the root element, title, plot area, grid, tick labels, axis
/// labels and the legend (right of the plot, so it never covers data).
/// </summary>
internal sealed class ChartFrame
{
    public const double FontSize = 12;
    public const string Font = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
    public const string TextColor = "#222222";
    public const string MutedColor = "#555555";
    public const string GridColor = "#e6e6e6";
    public const string AxisColor = "#444444";
    private const int LegendNameChars = 28;

    /// <summary>Series colours: matplotlib's tab10 (Tableau 10), distinguishable and print-safe.</summary>
    public static readonly string[] Palette =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ];

    private readonly Chart _chart;
    private readonly IReadOnlyList<(string Name, string Color, LegendSwatch Swatch)> _legend;
    private readonly string _id;
    private readonly double _legendBelow;
    private readonly List<(double X, double Y)> _legendSlots;

    /// <param name="chart">Title, labels and size.</param>
    /// <param name="id">Element id prefix.</param>
    /// <param name="yTickLabels">The y labels (their width sets the left margin).</param>
    /// <param name="legend">Legend entries; none draws no legend.</param>
    /// <param name="xTickLabelHeight">Height of the x tick labels (more when category labels are rotated).</param>
    /// <param name="minLeft">Smallest left margin (room for a rotated first category label).</param>
    public ChartFrame(Chart chart, string id, string[] yTickLabels,
        IReadOnlyList<(string Name, string Color, LegendSwatch Swatch)> legend, double xTickLabelHeight = 18,
        double minLeft = 0)
    {
        _chart = chart;
        _id = id;
        _legend = legend;
        Top = chart.Title.Length > 0 ? 44 : 16;
        Left = Math.Max(minLeft,
            14 + (chart.YLabel.Length > 0 ? 22 : 0) + yTickLabels.Select(l => TextWidth(l)).DefaultIfEmpty(0).Max());

        // The legend goes right of the plot when the plot keeps at least 55% of the width, else below it.
        double legendWidth = legend.Count == 0 ? 0 : 30 + legend.Max(e => TextWidth(Short(e.Name)));
        bool right = legend.Count > 0 && chart.Width - legendWidth - 28 - Left >= 0.55 * chart.Width;
        Right = chart.Width - (right ? legendWidth + 28 : 20);
        double x = Left, row = 0;
        var slots = new List<(double X, double Row)>();
        foreach (var e in right ? [] : legend)
        {
            double w = 30 + TextWidth(Short(e.Name)) + 8;
            if (x > Left && x + w > chart.Width - 10)
            {
                (x, row) = (Left, row + 1);
            }

            slots.Add((x, row));
            x += w;
        }

        _legendBelow = slots.Count == 0 ? 0 : (row + 1) * 18 + 6;
        Bottom = chart.Height - (12 + xTickLabelHeight + (chart.XLabel.Length > 0 ? 22 : 0) + _legendBelow);
        _legendSlots = right
            ? [.. legend.Select((_, i) => (Right + 20, Top + 8 + i * 20.0))]
            : [.. slots.Select(s => (s.X + 2, chart.Height - _legendBelow + 7 + s.Row * 18))];
        if (Right - Left < 80 || Bottom - Top < 60)
        {
            throw new InvalidOperationException($"chart '{chart.Title}' is too small for its labels and legend " +
                $"({chart.Width}×{chart.Height}); make it larger or the names shorter");
        }
    }

    public double Left { get; }

    public double Top { get; }

    public double Right { get; }

    public double Bottom { get; }

    /// <summary>Id of the clip path around the plot area (5 px of slack so edge markers stay whole).</summary>
    public string ClipUrl => $"url(#{_id}-plot)";

    /// <summary>Rough advance width of <paramref name="text"/> (no font metrics are available).</summary>
    public static double TextWidth(string text, double size = FontSize) => text.Length * size * 0.58;

    /// <summary>A legend name cut to fit (the full name stays in the series' <c>&lt;title&gt;</c>).</summary>
    public static string Short(string name) =>
        name.Length <= LegendNameChars ? name : string.Concat(name.AsSpan(0, LegendNameChars - 1), "…");

    public double PxX(AxisScale x, double v) => Left + x.Fraction(v) * (Right - Left);

    public double PxY(AxisScale y, double v) => Bottom - y.Fraction(v) * (Bottom - Top);

    /// <summary>Opens the root element and draws the background, accessible title and visible title.</summary>
    public SvgWriter Begin()
    {
        var w = new SvgWriter();
        w.Open("svg", ("xmlns", "http://www.w3.org/2000/svg"), ("width", _chart.Width), ("height", _chart.Height),
            ("viewBox", $"0 0 {_chart.Width} {_chart.Height}"), ("role", "img"), ("aria-labelledby", $"{_id}-title"),
            ("font-family", Font), ("font-size", FontSize), ("fill", TextColor));
        w.Text("title", _chart.Title.Length > 0 ? _chart.Title : "chart", ("id", $"{_id}-title"));
        w.Open("defs").Open("clipPath", ("id", $"{_id}-plot"))
            .Empty("rect", ("x", Left - 5), ("y", Top - 5), ("width", Right - Left + 10), ("height", Bottom - Top + 10))
            .Close().Close();
        w.Empty("rect", ("width", "100%"), ("height", "100%"), ("fill", "#ffffff"));
        if (_chart.Title.Length > 0)
        {
            // Shrink a long title down to 11 px, then cut it; the full title stays in <title>.
            string title = _chart.Title;
            double room = _chart.Width - 20, size = Math.Clamp(room / TextWidth(title, 1), 11, 15);
            int fits = (int)(room / TextWidth("x", size));
            if (title.Length > fits)
            {
                title = string.Concat(title.AsSpan(0, fits - 1), "…");
            }

            double cx = TextWidth(title, size) <= Right - Left ? (Left + Right) / 2 : _chart.Width / 2.0;
            w.Text("text", title, ("class", "title"), ("x", cx), ("y", 26), ("text-anchor", "middle"),
                ("font-size", size), ("font-weight", "600"));
        }

        return w;
    }

    /// <summary>Horizontal grid lines and labels at the y ticks.</summary>
    public void DrawYGrid(SvgWriter w, AxisScale y)
    {
        w.Open("g", ("class", "y-axis"), ("font-size", 11), ("fill", MutedColor), ("text-anchor", "end"));
        for (int i = 0; i < y.Ticks.Length; i++)
        {
            double py = PxY(y, y.Ticks[i]);
            w.Empty("line", ("x1", Left), ("x2", Right), ("y1", py), ("y2", py), ("stroke", GridColor));
            w.Text("text", y.Labels[i], ("x", Left - 8), ("y", py), ("dy", "0.32em"));
        }

        w.Close();
    }

    /// <summary>Vertical grid lines, tick marks and labels at the x ticks; labels thinned when they would touch.</summary>
    public void DrawXGrid(SvgWriter w, AxisScale x)
    {
        double widest = x.Labels.Max(l => TextWidth(l, 11));
        double gap = x.Ticks.Length > 1 ? (Right - Left) / (x.Ticks.Length - 1) : Right - Left;
        int stride = Math.Max(1, (int)Math.Ceiling((widest + 10) / gap));
        w.Open("g", ("class", "x-axis"), ("font-size", 11), ("fill", MutedColor), ("text-anchor", "middle"));
        for (int i = 0; i < x.Ticks.Length; i++)
        {
            double px = PxX(x, x.Ticks[i]);
            w.Empty("line", ("x1", px), ("x2", px), ("y1", Top), ("y2", Bottom), ("stroke", GridColor));
            w.Empty("line", ("x1", px), ("x2", px), ("y1", Bottom), ("y2", Bottom + 5), ("stroke", AxisColor));
            if (i % stride == 0)
            {
                w.Text("text", x.Labels[i], ("x", px), ("y", Bottom + 18));
            }
        }

        w.Close();
    }

    /// <summary>The left and bottom axis lines and the axis labels.</summary>
    public void DrawAxes(SvgWriter w, double baselineY)
    {
        w.Empty("line", ("class", "axis"), ("x1", Left), ("x2", Right), ("y1", baselineY), ("y2", baselineY),
            ("stroke", AxisColor));
        w.Empty("line", ("class", "axis"), ("x1", Left), ("x2", Left), ("y1", Top), ("y2", Bottom),
            ("stroke", AxisColor));
        if (_chart.XLabel.Length > 0)
        {
            w.Text("text", _chart.XLabel, ("class", "x-label"), ("x", (Left + Right) / 2),
                ("y", _chart.Height - 12 - _legendBelow),
                ("text-anchor", "middle"));
        }

        if (_chart.YLabel.Length > 0)
        {
            double cy = (Top + Bottom) / 2;
            w.Text("text", _chart.YLabel, ("class", "y-label"), ("x", 18), ("y", cy), ("text-anchor", "middle"),
                ("transform", $"rotate(-90 18 {SvgWriter.Num(cy)})"));
        }
    }

    /// <summary>One entry per series, top to bottom, right of the plot.</summary>
    public void DrawLegend(SvgWriter w)
    {
        if (_legend.Count == 0)
        {
            return;
        }

        w.Open("g", ("class", "legend"));
        for (int i = 0; i < _legend.Count; i++)
        {
            var (name, color, swatch) = _legend[i];
            var (x, y) = _legendSlots[i];
            w.Open("g", ("class", "legend-entry"));
            w.Text("title", name);
            if (swatch == LegendSwatch.Box)
            {
                w.Empty("rect", ("x", x), ("y", y - 5), ("width", 14), ("height", 10), ("fill", color));
            }

            if (swatch is LegendSwatch.Line or LegendSwatch.LineAndMarker)
            {
                w.Empty("line", ("x1", x - 2), ("x2", x + 16), ("y1", y), ("y2", y), ("stroke", color),
                    ("stroke-width", 2));
            }

            if (swatch is LegendSwatch.Marker or LegendSwatch.LineAndMarker)
            {
                w.Empty("circle", ("class", "legend-marker"), ("cx", x + 7), ("cy", y), ("r", 3.5), ("fill", color),
                    ("stroke", "#ffffff"));
            }

            w.Text("text", Short(name), ("x", x + 22), ("y", y), ("dy", "0.32em"));
            w.Close();
        }

        w.Close();
    }
}
