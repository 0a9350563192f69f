using Offramp.Reports;
using static Offramp.Tests.Reports.SvgAssert;

namespace Offramp.Tests.Reports;

public class HtmlReportTests
{
    private static HtmlReport Sample()
    {
        var line = new LineChart("acc").AddSeries("a", [1, 2, 3], [0.1, 0.5, 0.9]).AddSeries("b", [1, 2, 3], [0.2, 0.4, 0.8]);
        var bar = new BarChart("exits", ["e1", "e2"]).AddSeries("n", [5, 7]);
        var table = new HtmlTable("model", "accuracy") { Caption = "results" }.AddRow("resnet <ee>", 0.91234567);
        return new HtmlReport("Run <1> & co")
            .AddHeading("Accuracy")
            .AddParagraph("First paragraph & more.\n\nSecond <b>not bold</b>.")
            .AddChart(line, "Accuracy vs budget")
            .AddChart(bar)
            .AddTable(table)
            .AddPreformatted("offramp train --lr 0.1");
    }

    [Fact]
    public void ToHtml_Charts_InlineValidSvgWithUniqueIds()
    {
        string html = Sample().ToHtml();
        var svgs = SvgFragments(html);
        Assert.Equal(2, svgs.Count);
        var ids = svgs.SelectMany(s => Parse(s).Descendants().Select(e => (string?)e.Attribute("id")).OfType<string>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Contains("<figcaption>Accuracy vs budget</figcaption>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_SelfContained_NoScriptsOrExternalAssets()
    {
        string html = Sample().ToHtml();
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<style>", html, StringComparison.Ordinal);
        foreach (string forbidden in new[] { "<script", "<link", " src=", " href=", "@import" })
        {
            Assert.DoesNotContain(forbidden, html, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void ToHtml_Text_EscapedAndSplitIntoParagraphs()
    {
        string html = Sample().ToHtml();
        Assert.Contains("<title>Run &lt;1&gt; &amp; co</title>", html, StringComparison.Ordinal);
        Assert.Contains("<p>First paragraph &amp; more.</p>\n<p>Second &lt;b&gt;not bold&lt;/b&gt;.</p>", html, StringComparison.Ordinal);
        Assert.Contains("<td>resnet &lt;ee&gt;</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_SameReport_SameBytes() => Assert.Equal(Sample().ToHtml(), Sample().ToHtml());

    [Fact]
    public void Save_WritesFileAtomicallyWithoutLeftovers()
    {
        string dir = Directory.CreateTempSubdirectory("offramp-report-").FullName;
        try
        {
            string path = Path.Combine(dir, "report.html");
            File.WriteAllText(path, "old");
            Sample().Save(path);
            Assert.Equal(Sample().ToHtml(), File.ReadAllText(path));
            Assert.Equal(["report.html"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AddHeading_LevelFive_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HtmlReport("x").AddHeading("h", 5));
}
