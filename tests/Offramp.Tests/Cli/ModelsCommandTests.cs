using System.Globalization;
using System.Text.RegularExpressions;
using Offramp.Cli;

namespace Offramp.Tests.Cli;

[Collection("Console")]
public class ModelsCommandTests : CliTestBase
{
    [Fact]
    public void Models_OneModel_PrintsParametersAndIncreasingMacsPerExit()
    {
        var r = Run("models", "--model", "resnet8");
        Assert.True(r.Code == ExitCodes.Ok, r.Err);
        Assert.Contains("resnet8", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"\d[\d,]* parameters; input 1x28x28", r.Out);
        var macs = Regex.Matches(r.Out, @"exit \d+ \S+\s+([\d,.]+) M")
            .Select(m => double.Parse(m.Groups[1].Value, NumberStyles.Any, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, macs.Count);
        Assert.True(macs[0] > 0 && macs[0] < macs[1] && macs[1] < macs[2], string.Join(", ", macs));
    }

    [Fact]
    public void Models_ShapeOptions_CountTheModelAsTrainBuildsIt()
    {
        var r = Run("models", "--model", "resnet8", "--head", "sdn", "--exit-after", "0",
            "--model-extra", "depths=1/1/1,widths=16/32/64,stem_width=16,first_stride=2");
        Assert.True(r.Code == ExitCodes.Ok, r.Err);
        Assert.Equal(2, Regex.Count(r.Out, @"exit \d+ "));
        var plain = Run("models", "--model", "resnet8");
        Assert.NotEqual(Regex.Match(plain.Out, @"fc\s+([\d,.]+) M").Value, Regex.Match(r.Out, @"fc\s+([\d,.]+) M").Value);
    }

    [Theory]
    [InlineData("--input", "xx", "unknown --input")]
    [InlineData("--model", "nosuch", "no registered model")]
    [InlineData("--model-extra", "depths", "mapping of names to values")]
    [InlineData("--exit-after", "a,b", "integers")]
    [InlineData("--model-extra", "first_stride=5", "first_stride")]
    public void Models_BadArgument_ExitsWith2AndSaysWhy(string option, string value, string reason)
    {
        var r = Run("models", option, value);
        Assert.Equal(ExitCodes.Usage, r.Code);
        Assert.Contains(reason, r.Err, StringComparison.Ordinal);
    }
}
