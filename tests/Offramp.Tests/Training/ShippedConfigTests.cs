using Offramp.Models;
using Offramp.Training;

namespace Offramp.Tests.Training;

/// <summary>The config files in <c>configs/</c> (the README's main job reads one) load, validate and build their
/// model.</summary>
public class ShippedConfigTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "configs"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Load_ShippedConfig_ValidatesAndBuildsItsModel(string file)
    {
        var config = TrainConfigLoader.Load(Path.Combine(AppContext.BaseDirectory, "configs", file));
        config.Validate(file);
        var model = ModelRegistry.Create(config.Model, config.ModelOptions(10, [1, 28, 28]));
        Assert.True(model.Exits.Count >= 2, $"{file}: {config.Model} has {model.Exits.Count} exits");
    }

    [Fact]
    public void FashionMnistConfig_DefaultModel_HasACheapFirstExit()
    {
        // Issue 5 asks for budgets down to 25 % of the full model: the first exit must cost less than that.
        var config = TrainConfigLoader.Load(Path.Combine(AppContext.BaseDirectory, "configs", "fashion-mnist.yaml"));
        var model = ModelRegistry.Create(config.Model, config.ModelOptions(10, [1, 28, 28]));
        Assert.Equal("resnet_fm", config.Model);
        Assert.True(model.Exits[0].Macs < 0.25 * model.Exits[^1].Macs,
            $"first exit {model.Exits[0].Macs} of {model.Exits[^1].Macs} MACs");
    }
}
