using System.Globalization;

namespace Offramp.Reports;

/// <summary>
/// A bar chart over named categories (e.g. exits taken at a budget), with one or more series drawn as grouped
/// bars, value labels on the bars, and a legend when there are several series. <see cref="Histogram"/> builds
/// one from raw values.
/// </summary>
/// <remarks>
/// A NaN or infinite value draws no bar (and no label). The y axis always includes 0; an all-zero chart
/// shows 0–1. A chart without series throws <see cref="InvalidOperationException"/> when rendered.
/// </remarks>
public sealed class BarChart : Chart
{
    private readonly string[] _categories;
    private readonly List<(string Name, double[] Values)> _series = [];

    /// <summary>Creates a chart over <paramref name="categories"/> (left to right).</summary>
    /// <exception cref="ArgumentException">There are no categories.</exception>
    public BarChart(string title, IReadOnlyList<string> categories)
        : base(title)
    {
        if (categories.Count == 0)
        {
            throw new ArgumentException($"bar chart '{title}' needs at least one category");
        }

        _categories = [.. categories.Select(c => c ?? "")];
        YLabel = "";
    }

    /// <summary>Category names, left to right.</summary>
    public IReadOnlyList<string> Categories => _categories;

    /// <summary>Series names, in legend order.</summary>
    public IReadOnlyList<string> SeriesNames => [.. _series.Select(s => s.Name)];

    /// <summary>Draw each bar's value above it (below a negative bar). Default true.</summary>
    public bool ShowValues { get; set; } = true;

    /// <summary>
    /// .NET format for value labels, or null (default) for automatic: whole numbers as integers ("1234"),
    /// others with 4 significant digits.
    /// </summary>
    public string? ValueFormat { get; set; }

    /// <summary>Adds a series with one value per category.</summary>
    /// <exception cref="ArgumentException">The value count differs from the category count.</exception>
    public BarChart AddSeries(string name, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (values.Count != _categories.Length)
        {
            throw new ArgumentException(
                $"bar series '{name}' has {values.Count} values for {_categories.Length} categories");
        }

        _series.Add((name, [.. values]));
        return this;
    }

    /// <summary>
    /// A histogram of <paramref name="values"/> in <paramref name="bins"/> equal-width bins over
    /// [<paramref name="min"/>, <paramref name="max"/>] (default: the finite data's range), like
    /// <c>numpy.histogram</c>: bins are half-open except the last, which includes <paramref name="max"/>;
    /// NaN, infinite and out-of-range values are not counted. Categories are labelled "a–b".
    /// </summary>
    /// <exception cref="ArgumentException">bins &lt; 1, or the range is not finite or max &lt; min.</exception>
    public static BarChart Histogram(
        IReadOnlyList<double> values, int bins, string title = "", double? min = null, double? max = null)
    {
        if (bins < 1)
        {
            throw new ArgumentException($"histogram '{title}' needs at least 1 bin, got {bins}");
        }

        var finite = values.Where(double.IsFinite).ToArray();
        double lo = min ?? (finite.Length > 0 ? finite.Min() : 0), hi = max ?? (finite.Length > 0 ? finite.Max() : 1);
        if (!double.IsFinite(lo) || !double.IsFinite(hi) || hi < lo)
        {
            throw new ArgumentException($"histogram '{title}': invalid range [{lo}, {hi}]");
        }

        if (hi == lo)
        {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }

        double width = (hi - lo) / bins;
        var counts = new double[bins];
        foreach (double v in finite.Where(v => v >= lo && v <= hi))
        {
            counts[Math.Min(bins - 1, (int)((v - lo) / width))]++;
        }

        var edges = Enumerable.Range(0, bins + 1).Select(i => i == bins ? hi : lo + i * width).ToArray();
        string format = EdgeFormat(edges, width);
        string Text(double edge) => edge.ToString(format, CultureInfo.InvariantCulture);
        var labels = Enumerable.Range(0, bins).Select(i => $"{Text(edges[i])}–{Text(edges[i + 1])}").ToArray();
        var chart = new BarChart(title, labels) { YLabel = "count" };
        return chart.AddSeries("", counts);
    }

    // Enough decimals to tell neighbouring edges apart: 0 for whole-number edges, else two digits of the bin
    // width (width 0.08 → 3 decimals); scientific for very large or small widths.
    private static string EdgeFormat(double[] edges, double width)
    {
        if (edges.All(e => e == Math.Floor(e) && Math.Abs(e) < 1e9))
        {
            return "0";
        }

        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(width)) + 1);
        return decimals <= 6 ? "F" + decimals.ToString(CultureInfo.InvariantCulture) : "0.##E+0";
    }

    internal override string Render(string idPrefix)
    {
        if (_series.Count == 0)
        {
            throw new InvalidOperationException($"bar chart '{Title}' has no series to plot");
        }

        var all = _series.SelectMany(s => s.Values).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
        double lo = Math.Min(0, all.Min()), hi = Math.Max(0, all.Max());
        var y = AxisScale.Linear(lo, hi == lo ? lo + 1 : hi, Math.Clamp(Height / 50, 3, 10));
        var legend = _series.Count > 1 || _series[0].Name.Length > 0
            ? _series.Select((s, i) => (s.Name, ChartFrame.Palette[i % ChartFrame.Palette.Length], LegendSwatch.Box))
                .ToList()
            : [];

        // Category labels are rotated when they do not fit under their band at the narrowest plausible plot width.
        double widest = _categories.Max(c => ChartFrame.TextWidth(Cut(c), 11));
        double roughBand = (Width * 0.75) / _categories.Length;
        bool rotate = widest > roughBand - 6;
        double labelHeight = rotate ? Math.Min(widest * 0.58 + 16, Height * 0.35) : 18;
        // A rotated first label reaches left of its band by about cos(35°) of its width.
        double minLeft = rotate ? ChartFrame.TextWidth(Cut(_categories[0]), 11) * 0.82 - roughBand / 2 + 8 : 0;
        var f = new ChartFrame(this, idPrefix, y.Labels, legend, labelHeight, minLeft);
        var w = f.Begin();
        f.DrawYGrid(w, y);

        double band = (f.Right - f.Left) / _categories.Length, barWidth = band * 0.8 / _series.Count;
        double zero = f.PxY(y, 0);
        for (int s = 0; s < _series.Count; s++)
        {
            var (name, values) = _series[s];
            string color = ChartFrame.Palette[s % ChartFrame.Palette.Length];
            w.Open("g", ("class", "series"), ("data-name", name), ("fill", color));
            for (int c = 0; c < values.Length; c++)
            {
                if (!double.IsFinite(values[c]))
                {
                    continue;
                }

                double x0 = f.Left + band * c + band * 0.1 + barWidth * s, py = f.PxY(y, values[c]);
                w.Open("rect", ("class", "bar"), ("x", x0 + 0.5), ("y", Math.Min(py, zero)),
                    ("width", Math.Max(barWidth - 1, 0.5)), ("height", Math.Abs(zero - py)));
                string value = Format(values[c]);
                w.Text("title", name.Length > 0 ? $"{name}, {_categories[c]}: {value}" : $"{_categories[c]}: {value}");
                w.Close();
                if (ShowValues && ChartFrame.TextWidth(value, 11) <= barWidth + 6)
                {
                    // Outside the bar's end; inside it (white) when that would run into the category labels.
                    bool inside = values[c] < 0 && py + 12 > f.Bottom - 2 && py - zero > 16;
                    double ty = values[c] >= 0 ? py - 4 : inside ? py - 4 : py + 12;
                    w.Text("text", value, ("class", "value"), ("x", x0 + barWidth / 2), ("y", ty),
                        ("text-anchor", "middle"), ("font-size", 11),
                        ("fill", inside ? "#ffffff" : ChartFrame.TextColor));
                }
            }

            w.Close();
        }

        DrawCategoryLabels(w, f, band, rotate);
        f.DrawAxes(w, zero);
        f.DrawLegend(w);
        w.Close();
        return w.ToString();
    }

    private void DrawCategoryLabels(SvgWriter w, ChartFrame f, double band, bool rotate)
    {
        w.Open("g", ("class", "x-axis"), ("font-size", 11), ("fill", ChartFrame.MutedColor),
            ("text-anchor", rotate ? "end" : "middle"));
        for (int c = 0; c < _categories.Length; c++)
        {
            double cx = f.Left + band * (c + 0.5), ty = f.Bottom + (rotate ? 12 : 18);
            w.Text("text", Cut(_categories[c]), ("x", cx), ("y", ty),
                ("transform", rotate ? $"rotate(-35 {SvgWriter.Num(cx)} {SvgWriter.Num(ty)})" : null));
        }

        w.Close();
    }

    private string Format(double v)
    {
        if (ValueFormat is not null)
        {
            return v.ToString(ValueFormat, CultureInfo.InvariantCulture);
        }

        bool whole = _series.SelectMany(s => s.Values).Where(double.IsFinite)
            .All(x => x == Math.Floor(x) && Math.Abs(x) < 1e15);
        return v.ToString(whole ? "0" : "G4", CultureInfo.InvariantCulture);
    }

    private static string Cut(string label) => label.Length <= 24 ? label : string.Concat(label.AsSpan(0, 23), "…");
}
