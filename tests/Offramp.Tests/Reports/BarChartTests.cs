using Offramp.Reports;
using static Offramp.Tests.Reports.SvgAssert;

namespace Offramp.Tests.Reports;

public class BarChartTests
{
    [Fact]
    public void ToSvg_TwoSeries_OneBarPerValueWithCountLabelsAndLegend()
    {
        var chart = new BarChart("Exits taken", ["exit 1", "exit 2", "final"])
            .AddSeries("budget 1M", [4210, 2630, 770])
            .AddSeries("budget 2M", [2100, 2900, 1300]);
        var doc = Parse(chart.ToSvg());
        Assert.Equal(6, Count(doc, "rect", "bar"));
        Assert.Equal(["4210", "2630", "770", "2100", "2900", "1300"], ByClass(doc, "text", "value").Select(t => t.Value));
        Assert.Equal(2, Count(doc, "g", "legend-entry"));
    }

    [Fact]
    public void ToSvg_SingleUnnamedSeries_NoLegend()
    {
        var doc = Parse(new BarChart("", ["a", "b"]).AddSeries("", [1, 2]).ToSvg());
        Assert.Equal(0, Count(doc, "g", "legend-entry"));
    }

    [Fact]
    public void ToSvg_NaNValue_NoBar()
    {
        var doc = Parse(new BarChart("", ["a", "b", "c"]).AddSeries("s", [1, double.NaN, 3]).ToSvg());
        Assert.Equal(2, Count(doc, "rect", "bar"));
    }

    [Fact]
    public void ToSvg_NegativeValue_BarHangsBelowZero()
    {
        var doc = Parse(new BarChart("", ["up", "down"]).AddSeries("delta", [2, -1]).ToSvg());
        var bars = ByClass(doc, "rect", "bar").ToList();
        double Y(int i) => double.Parse(bars[i].Attribute("y")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Y(1) > Y(0), "the negative bar starts lower, at the zero line");
        Assert.Equal(["2", "-1"], ByClass(doc, "text", "value").Select(t => t.Value));
    }

    [Fact]
    public void ToSvg_FractionalValues_FourSignificantDigits()
    {
        var doc = Parse(new BarChart("", ["a", "b"]).AddSeries("acc", [0.91234, 0.5]).ToSvg());
        Assert.Equal(["0.9123", "0.5"], ByClass(doc, "text", "value").Select(t => t.Value));
    }

    [Fact]
    public void ToSvg_ManyLongCategories_RotatesLabels()
    {
        var names = Enumerable.Range(0, 12).Select(i => $"category number {i}").ToArray();
        var doc = Parse(new BarChart("", names).AddSeries("", [.. names.Select((_, i) => (double)i)]).ToSvg());
        var labels = doc.Descendants(Svg + "g").Single(g => (string?)g.Attribute("class") == "x-axis").Elements(Svg + "text");
        Assert.All(labels, t => Assert.StartsWith("rotate(-35", t.Attribute("transform")!.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void AddSeries_WrongCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new BarChart("", ["a", "b"]).AddSeries("s", [1]));
        Assert.Contains("1 values for 2 categories", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToSvg_NoSeries_Throws() =>
        Assert.Throws<InvalidOperationException>(new BarChart("empty", ["a"]).ToSvg);

    [Fact]
    public void Constructor_NoCategories_Throws() => Assert.Throws<ArgumentException>(() => new BarChart("x", []));

    [Fact]
    public void Histogram_Values_NumpyBinning()
    {
        // numpy.histogram([0, 0.1, 0.5, 0.99, 1.0, nan], bins=4, range=(0, 1)) → [2, 0, 1, 2].
        var chart = BarChart.Histogram([0, 0.1, 0.5, 0.99, 1.0, double.NaN, 7], 4, "h", 0, 1);
        Assert.Equal(["0.00–0.25", "0.25–0.50", "0.50–0.75", "0.75–1.00"], chart.Categories);
        var doc = Parse(chart.ToSvg());
        Assert.Equal(["2", "0", "1", "2"], ByClass(doc, "text", "value").Select(t => t.Value));
    }

    [Fact]
    public void Histogram_IntegerEdges_IntegerLabels()
    {
        var chart = BarChart.Histogram([0, 1, 2, 3, 4, 5, 6, 7, 8], 4);
        Assert.Equal(["0–2", "2–4", "4–6", "6–8"], chart.Categories);
    }

    [Fact]
    public void Histogram_ConstantValues_OneWidenedBin()
    {
        var chart = BarChart.Histogram([3, 3, 3], 1);
        Assert.Equal(["2.5–3.5"], chart.Categories);
    }

    [Fact]
    public void Histogram_ZeroBins_Throws() => Assert.Throws<ArgumentException>(() => BarChart.Histogram([1.0], 0));
}
