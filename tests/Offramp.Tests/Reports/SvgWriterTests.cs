using Offramp.Reports;

namespace Offramp.Tests.Reports;

public class SvgWriterTests
{
    [Theory]
    [InlineData("a & b", "a &amp; b")]
    [InlineData("<script>alert('x')</script>", "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;")]
    [InlineData("say \"hi\"", "say &quot;hi&quot;")]
    [InlineData("nul\0bell\a", "nul\uFFFDbell\uFFFD")]
    [InlineData("tab\tok\nline", "tab\tok\nline")]
    [InlineData("accuracy ≥ 0.9 🎯", "accuracy ≥ 0.9 🎯")]
    public void Escape_HostileText_IsXmlSafe(string input, string expected) =>
        Assert.Equal(expected, SvgWriter.Escape(input));

    [Fact]
    public void Escape_LoneSurrogate_Replaced() => Assert.Equal("a\uFFFDb", SvgWriter.Escape("a\uD800b"));

    [Theory]
    [InlineData(0.5, "0.5")]
    [InlineData(-0.001, "0")]
    [InlineData(1234.567, "1234.57")]
    [InlineData(-3.0, "-3")]
    public void Num_Values_InvariantTwoDecimals(double v, string expected) => Assert.Equal(expected, SvgWriter.Num(v));
}
