using System.Globalization;
using System.Text;

namespace Offramp.Reports;

public sealed partial class LineChart
{
    private const string AnnotationColor = "#333333";

    internal override string Render(string idPrefix)
    {
        if (!_series.Any(s => s.FinitePoints().Any()))
        {
            throw new InvalidOperationException(
                $"line chart '{Title}' has no finite points to plot ({_series.Count} series, all empty or NaN)");
        }

        if (LogX)
        {
            CheckLogX();
        }

        var xs = _series.SelectMany(s => s.FinitePoints().Select(i => s.X[i]))
            .Concat(_annotations.Where(a => a.Kind != AnnotationKind.HorizontalLine).Select(a => a.X));
        var ys = _series.SelectMany(s => s.FinitePoints().Select(i => s.Y[i]))
            .Concat(_annotations.Where(a => a.Kind != AnnotationKind.VerticalLine).Select(a => a.Y));
        var x = Scale("x", [.. xs], XMin, XMax, LogX, Math.Clamp(Width / 80, 3, 10));
        var y = Scale("y", [.. ys], YMin, YMax, log: false, Math.Clamp(Height / 50, 3, 10));

        var legend = _series.Count > 1 || (_series.Count == 1 && _series[0].Name.Length > 0)
            ? _series.Select((s, i) => (
                s.FinitePoints().Any() ? s.Name : s.Name + " (no data)",
                ChartFrame.Palette[i % ChartFrame.Palette.Length],
                s.Style switch
                {
                    SeriesStyle.Lines => LegendSwatch.Line,
                    SeriesStyle.Markers => LegendSwatch.Marker,
                    _ => LegendSwatch.LineAndMarker,
                })).ToList()
            : [];
        var frame = new ChartFrame(this, idPrefix, y.Labels, legend);
        var w = frame.Begin();
        frame.DrawYGrid(w, y);
        frame.DrawXGrid(w, x);
        DrawAnnotationLines(w, frame, x, y);
        w.Open("g", ("class", "plot"), ("clip-path", frame.ClipUrl));
        for (int i = 0; i < _series.Count; i++)
        {
            DrawSeries(w, frame, x, y, _series[i], ChartFrame.Palette[i % ChartFrame.Palette.Length]);
        }

        w.Close();
        DrawAnnotations(w, frame, x, y);
        frame.DrawAxes(w, frame.Bottom);
        frame.DrawLegend(w);
        w.Close();
        return w.ToString();
    }

    private void CheckLogX()
    {
        foreach (var s in _series)
        {
            foreach (int i in s.FinitePoints().Where(i => s.X[i] <= 0))
            {
                throw new InvalidOperationException(
                    $"line chart '{Title}': log-x axis needs x > 0, but series '{s.Name}' has x = {s.X[i]} at point {i}");
            }
        }

        if (XMin <= 0 || XMax <= 0 || _annotations.Any(a => a.Kind != AnnotationKind.HorizontalLine && a.X <= 0))
        {
            throw new InvalidOperationException($"line chart '{Title}': log-x axis needs XMin, XMax and annotation x > 0");
        }
    }

    private AxisScale Scale(string axis, double[] values, double? fixedMin, double? fixedMax, bool log, int maxTicks)
    {
        double lo = fixedMin ?? values.Min(), hi = fixedMax ?? values.Max();
        bool fixedBoth = fixedMin.HasValue && fixedMax.HasValue;
        if (fixedBoth && !(hi > lo) || !double.IsFinite(lo) || !double.IsFinite(hi))
        {
            throw new InvalidOperationException($"line chart '{Title}': {axis} range [{lo}, {hi}] is empty or not finite");
        }

        var s = log ? AxisScale.Log10(lo, hi) : AxisScale.Linear(lo, hi, maxTicks, extend: !fixedBoth);
        if (fixedMin is null && fixedMax is null || fixedBoth && !log)
        {
            return s;
        }

        double min = fixedMin ?? s.Min, max = fixedMax ?? s.Max;
        if (!(max > min))
        {
            throw new InvalidOperationException($"line chart '{Title}': {axis} range [{min}, {max}] is empty");
        }

        double tol = (max - min) * 1e-9;
        var keep = Enumerable.Range(0, s.Ticks.Length)
            .Where(i => s.Ticks[i] >= min - tol && s.Ticks[i] <= max + tol).ToArray();
        return s with
        {
            Min = min,
            Max = max,
            Ticks = [.. keep.Select(i => s.Ticks[i])],
            Labels = [.. keep.Select(i => s.Labels[i])],
        };
    }

    private static void DrawSeries(SvgWriter w, ChartFrame f, AxisScale x, AxisScale y, ChartSeries s, string color)
    {
        w.Open("g", ("class", "series"), ("data-name", s.Name), ("fill", color), ("stroke", color));
        if (s.Style != SeriesStyle.Markers)
        {
            var d = new StringBuilder();
            bool pen = false;
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!double.IsFinite(s.X[i]) || !double.IsFinite(s.Y[i]))
                {
                    pen = false; // a gap: the next finite point starts a new sub-path
                    continue;
                }

                d.Append(pen ? 'L' : 'M').Append(SvgWriter.Num(f.PxX(x, s.X[i]))).Append(' ')
                    .Append(SvgWriter.Num(f.PxY(y, s.Y[i])));
                pen = true;
            }

            w.Empty("path", ("class", "line"), ("d", d.ToString()), ("fill", "none"), ("stroke-width", 2),
                ("stroke-linejoin", "round"), ("stroke-linecap", "round"));
        }

        if (s.Style != SeriesStyle.Lines)
        {
            double r = s.X.Count > 150 ? 2 : 3.5;
            foreach (int i in s.FinitePoints())
            {
                w.Open("circle", ("class", "marker"), ("cx", f.PxX(x, s.X[i])), ("cy", f.PxY(y, s.Y[i])), ("r", r),
                    ("stroke", "#ffffff"), ("stroke-width", 1));
                w.Text("title", string.Create(CultureInfo.InvariantCulture, $"{s.Name}: ({s.X[i]:G6}, {s.Y[i]:G6})"));
                w.Close();
            }
        }

        w.Close();
    }

    // Reference lines go under the data; rings and labels over it. Horizontal-line labels sit at the left end,
    // where accuracy-vs-budget curves are lowest.
    private void DrawAnnotationLines(SvgWriter w, ChartFrame f, AxisScale x, AxisScale y)
    {
        var lines = _annotations.Where(a => a.Kind != AnnotationKind.Point && Inside(f, x, y, a)).ToList();
        if (lines.Count == 0)
        {
            return;
        }

        w.Open("g", ("class", "annotation-lines"), ("stroke", AnnotationColor), ("stroke-width", 1.5),
            ("stroke-dasharray", "5 4"));
        foreach (var a in lines)
        {
            var (px, py) = Position(f, x, y, a);
            if (a.Kind == AnnotationKind.VerticalLine)
            {
                w.Empty("line", ("x1", px), ("x2", px), ("y1", f.Top), ("y2", f.Bottom));
            }
            else
            {
                w.Empty("line", ("x1", f.Left), ("x2", f.Right), ("y1", py), ("y2", py));
            }
        }

        w.Close();
    }

    private void DrawAnnotations(SvgWriter w, ChartFrame f, AxisScale x, AxisScale y)
    {
        var shown = _annotations.Where(a => Inside(f, x, y, a)).ToList();
        if (shown.Count == 0)
        {
            return;
        }

        w.Open("g", ("class", "annotations"), ("font-size", 11), ("fill", AnnotationColor));
        foreach (var a in shown)
        {
            var (px, py) = Position(f, x, y, a);
            bool nearRight = px + ChartFrame.TextWidth(a.Label, 11) + 12 > f.Right;
            w.Open("g", ("class", "annotation"));
            switch (a.Kind)
            {
                case AnnotationKind.VerticalLine:
                    Label(w, a.Label, nearRight ? px - 5 : px + 5, f.Top + 12, nearRight);
                    break;
                case AnnotationKind.HorizontalLine:
                    Label(w, a.Label, f.Left + 6, py - 6, alignEnd: false);
                    break;
                default:
                    w.Empty("circle", ("class", "annotation-marker"), ("cx", px), ("cy", py), ("r", 6),
                        ("fill", "none"), ("stroke", AnnotationColor), ("stroke-width", 1.5));
                    Label(w, a.Label, nearRight ? px - 9 : px + 9, py - 9, nearRight);
                    break;
            }

            w.Close();
        }

        w.Close();
    }

    private static (double X, double Y) Position(ChartFrame f, AxisScale x, AxisScale y, ChartAnnotation a) => (
        a.Kind == AnnotationKind.HorizontalLine ? f.Left : f.PxX(x, a.X),
        a.Kind == AnnotationKind.VerticalLine ? f.Top : f.PxY(y, a.Y));

    // False for a mark outside a fixed axis range: it is not drawn.
    private static bool Inside(ChartFrame f, AxisScale x, AxisScale y, ChartAnnotation a)
    {
        var (px, py) = Position(f, x, y, a);
        return px >= f.Left - 0.5 && px <= f.Right + 0.5 && py >= f.Top - 0.5 && py <= f.Bottom + 0.5;
    }

    // Text with a white halo so it stays readable over grid lines and series.
    private static void Label(SvgWriter w, string text, double x, double y, bool alignEnd) =>
        w.Text("text", text, ("x", x), ("y", y), ("text-anchor", alignEnd ? "end" : "start"), ("stroke", "#ffffff"),
            ("stroke-width", 3), ("stroke-linejoin", "round"), ("paint-order", "stroke"));
}
