using Offramp.Reports;

namespace Offramp.Tests.Reports;

public class HtmlTableTests
{
    [Fact]
    public void ToHtml_NumericColumn_RightAlignedAndInvariant()
    {
        string html = new HtmlTable("name", "acc", "n").AddRow("a", 0.5, 3).AddRow("b", double.NaN, null).ToHtml();
        Assert.Contains("<th>name</th><th class=\"num\">acc</th><th class=\"num\">n</th>", html, StringComparison.Ordinal);
        Assert.Contains("<td>a</td><td class=\"num\">0.5</td><td class=\"num\">3</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num\">–</td><td class=\"num\"></td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_NumberFormat_Applied()
    {
        string html = new HtmlTable("x") { NumberFormat = "F2" }.AddRow(0.91234).ToHtml();
        Assert.Contains(">0.91<", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_HostileCells_Escaped()
    {
        string html = new HtmlTable("<h>") { Caption = "a&b" }.AddRow("<img onerror='x'>").ToHtml();
        Assert.Contains("<caption>a&amp;b</caption>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img onerror=&apos;x&apos;&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRow_WrongCellCount_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new HtmlTable("a", "b").AddRow(1));
        Assert.Contains("1 cells, the table has 2 columns", e.Message, StringComparison.Ordinal);
    }
}
