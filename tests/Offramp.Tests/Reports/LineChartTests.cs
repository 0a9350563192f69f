using System.Globalization;
using System.Xml.Linq;
using Offramp.Reports;
using static Offramp.Tests.Reports.SvgAssert;

namespace Offramp.Tests.Reports;

public class LineChartTests
{
    private static LineChart ThreeSeries()
    {
        double[] budget = [1e5, 2e5, 4e5, 8e5];
        var chart = new LineChart("Accuracy vs budget") { XLabel = "FLOPs", YLabel = "accuracy" };
        chart.AddSeries("exit-aware", budget, [0.5, 0.6, 0.7, 0.8]);
        chart.AddSeries("baseline", budget, [0.4, 0.5, 0.6, 0.7], SeriesStyle.Lines);
        chart.AddSeries("oracle", budget, [0.6, 0.7, 0.8, 0.9], SeriesStyle.Markers);
        return chart;
    }

    [Fact]
    public void ToSvg_ThreeSeries_ValidXmlWithOneMarkerPerPointAndOneLegendEntryPerSeries()
    {
        var doc = Parse(ThreeSeries().ToSvg());
        Assert.Equal(3, ByClass(doc, "g", "series").Count());
        Assert.Equal(8, Count(doc, "circle", "marker")); // exit-aware and oracle have markers
        Assert.Equal(2, Count(doc, "path", "line")); // exit-aware and baseline have lines
        Assert.Equal(3, Count(doc, "g", "legend-entry"));
        Assert.Equal("Accuracy vs budget", doc.Root!.Element(Svg + "title")!.Value);
    }

    [Fact]
    public void ToSvg_SameChart_SameBytes() => Assert.Equal(ThreeSeries().ToSvg(), ThreeSeries().ToSvg());

    [Fact]
    public void ToSvg_CommaDecimalCulture_SameBytesAsInvariant()
    {
        string invariant = ThreeSeries().ToSvg();
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        comma.NumberFormat.NegativeSign = "\u2212";
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = comma;
            Assert.Equal(invariant, ThreeSeries().ToSvg());
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }

        Assert.Contains("0.5", invariant, StringComparison.Ordinal);
    }

    [Fact]
    public void ToSvg_NaNPoint_SkippedAndLineBroken()
    {
        var chart = new LineChart().AddSeries("s", [1, 2, 3, 4, 5], [1, 2, double.NaN, 4, 5]);
        var doc = Parse(chart.ToSvg());
        Assert.Equal(4, Count(doc, "circle", "marker"));
        string d = ByClass(doc, "path", "line").Single().Attribute("d")!.Value;
        Assert.Equal(2, d.Count(c => c == 'M'));
        Assert.DoesNotContain("NaN", chart.ToSvg(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToSvg_EmptySeries_KeptInLegendAsNoData()
    {
        var chart = new LineChart().AddSeries("ok", [1, 2], [3, 4]).AddSeries("empty", [], []);
        var doc = Parse(chart.ToSvg());
        Assert.Equal(2, Count(doc, "g", "legend-entry"));
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "empty (no data)");
    }

    [Fact]
    public void ToSvg_NoFinitePoints_ThrowsClearError()
    {
        var chart = new LineChart("loss").AddSeries("a", [1, 2], [double.NaN, double.PositiveInfinity]);
        var e = Assert.Throws<InvalidOperationException>(chart.ToSvg);
        Assert.Contains("'loss' has no finite points", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(new LineChart().ToSvg);
    }

    [Fact]
    public void AddSeries_LengthMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new LineChart().AddSeries("a", [1, 2, 3], [1, 2]));
        Assert.Contains("3 x values but 2 y values", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToSvg_LogXWithZero_ThrowsNamingSeriesAndPoint()
    {
        var chart = new LineChart { LogX = true }.AddSeries("budget sweep", [0, 10, 100], [1, 2, 3]);
        var e = Assert.Throws<InvalidOperationException>(chart.ToSvg);
        Assert.Contains("series 'budget sweep' has x = 0 at point 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToSvg_LogX_DecadeTickLabels()
    {
        var chart = new LineChart { LogX = true }.AddSeries("s", [1e3, 1e4, 1e5, 1e6], [1, 2, 3, 4]);
        var labels = Parse(chart.ToSvg()).Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "x-axis")
            .Elements(Svg + "text").Select(t => t.Value).ToList();
        Assert.Equal(["1000", "10k", "100k", "1M"], labels);
    }

    [Fact]
    public void ToSvg_HostileLabels_EscapedAndRoundTrip()
    {
        const string evil = "<script>alert(\"x&y\")</script> ' \0";
        var chart = new LineChart(evil) { XLabel = evil, YLabel = evil };
        chart.AddSeries(evil, [1, 2], [1, 2]).AddSeries("b", [1, 2], [2, 1]).AddVerticalLine(1.5, evil).AddPoint(1, 1, evil);
        string svg = chart.ToSvg();
        Assert.DoesNotContain("<script", svg, StringComparison.Ordinal);
        var doc = Parse(svg);
        string expected = evil.Replace('\0', '\uFFFD');
        Assert.Equal(expected, doc.Root!.Element(Svg + "title")!.Value);
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == expected);
        Assert.Equal(expected, (string?)ByClass(doc, "g", "series").First().Attribute("data-name"));
    }

    [Fact]
    public void ToSvg_Annotations_DrawnWithLabels()
    {
        var chart = ThreeSeries().AddVerticalLine(3e5, "budget").AddHorizontalLine(0.85, "final exit").AddPoint(4e5, 0.7, "chosen");
        var doc = Parse(chart.ToSvg());
        var annotations = ByClass(doc, "g", "annotation").ToList();
        Assert.Equal(3, annotations.Count);
        Assert.Equal(["budget", "final exit", "chosen"], annotations.Select(a => a.Element(Svg + "text")!.Value));
        Assert.Equal(2, ByClass(doc, "g", "annotation-lines").Single().Elements(Svg + "line").Count());
        Assert.Equal(1, Count(doc, "circle", "annotation-marker"));
    }

    [Fact]
    public void ToSvg_FixedYRange_TicksInsideRange()
    {
        var chart = new LineChart { YMin = 0, YMax = 1 }.AddSeries("acc", [1, 2, 3], [0.31, 0.5, 0.98]);
        var labels = Parse(chart.ToSvg()).Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "y-axis")
            .Elements(Svg + "text").Select(t => t.Value).ToList();
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], labels);
    }

    [Fact]
    public void ToSvg_MarkerCoordinates_InsidePlotArea()
    {
        var doc = Parse(ThreeSeries().ToSvg());
        foreach (var c in ByClass(doc, "circle", "marker"))
        {
            Assert.InRange(double.Parse(c.Attribute("cx")!.Value, CultureInfo.InvariantCulture), 0, 640);
            Assert.InRange(double.Parse(c.Attribute("cy")!.Value, CultureInfo.InvariantCulture), 0, 400);
        }
    }

    [Fact]
    public void Save_WritesXmlDeclarationAndValidSvg()
    {
        string path = Path.Combine(Path.GetTempPath(), $"offramp-chart-{Environment.ProcessId}.svg");
        try
        {
            ThreeSeries().Save(path);
            string text = File.ReadAllText(path);
            Assert.StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", text, StringComparison.Ordinal);
            Assert.Equal(Svg + "svg", XDocument.Load(path).Root!.Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ToSvg_NarrowChartWithLongNames_LegendBelowPlotAndTitleCut()
    {
        var chart = new LineChart(new string('T', 120)) { Width = 320, Height = 240 }
            .AddSeries(new string('a', 40), [1, 2], [1, 2]).AddSeries("b", [1, 2], [2, 1]);
        var doc = Parse(chart.ToSvg());
        double axisY = double.Parse(ByClass(doc, "line", "axis").First().Attribute("y1")!.Value, CultureInfo.InvariantCulture);
        var entries = ByClass(doc, "g", "legend-entry").ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.True(
            double.Parse(e.Element(Svg + "text")!.Attribute("y")!.Value, CultureInfo.InvariantCulture) > axisY + 20));
        string shown = ByClass(doc, "text", "title").Single().Value;
        Assert.EndsWith("…", shown, StringComparison.Ordinal);
        Assert.Equal(new string('T', 120), doc.Root!.Element(Svg + "title")!.Value);
    }

    [Fact]
    public void Width_TooSmall_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new LineChart { Width = 10 });
}
