using Offramp.Engine;
using Offramp.Models;
using Offramp.Models.MobileNets;

namespace Offramp.Tests.Models;

/// <summary>MobileNetV3 blocks, MACs by hand, the Dynamic Perceiver split, and the multi-exit model's layout.</summary>
public class MobileNetV3Tests
{
    private static MultiExitMobileNetV3 Create(ModelOptions options) =>
        (MultiExitMobileNetV3)ModelRegistry.Create("mobilenetv3_large", options);

    [Fact]
    public void Macs_Features4At56_MatchesHandCount()
    {
        // features.4 of width 1.0 (Table 1 row "bneck 5×5, exp 72, out 40, SE, RE, s2") on 24×56×56.
        var (settings, _) = InvertedResidualConfig.Large(1.0);
        var block = new InvertedResidual(settings[3], new Rng(0));
        long expand = 56L * 56 * 24 * 72;     // 1×1 24→72
        long depthwise = 72L * 28 * 28 * 25;  // 5×5 depthwise, stride 2 → 28×28
        long se = 2L * 72 * 24;               // squeeze MakeDivisible(72/4, 8) = 24
        long project = 28L * 28 * 72 * 40;    // 1×1 72→40
        Assert.Equal(9_091_584L, expand + depthwise + se + project);
        Assert.Equal(expand + depthwise + se + project, block.Macs(56, 56));
        Assert.Equal((28, 28), block.OutputSize(56, 56));
        Assert.False(block.UseResConnect);
        Assert.Equal(4, block.Block.Count); // expand, depthwise, SE, project
        Assert.True(new InvertedResidual(settings[4], new Rng(0)).UseResConnect);
        Assert.Equal(2, new InvertedResidual(settings[0], new Rng(0)).Block.Count); // no expansion, no SE
    }

    [Theory]
    [InlineData(0.5, new[] { 8, 8, 16, 24, 40, 56, 80, 80 }, 640)] // torchvision _mobilenet_v3_conf
    [InlineData(1.0, new[] { 16, 16, 24, 40, 80, 112, 160, 160 }, 1280)]
    public void Large_WidthMultiplier_RoundsChannelsAsTorchvision(double width, int[] channels, int lastChannel)
    {
        // Input channels of blocks 0, 1 and outputs of blocks 1, 3, 6, 10, 12, 14 (make_divisible(c·w, 8)).
        var (s, last) = InvertedResidualConfig.Large(width);
        Assert.Equal(channels, new[] { s[0].InputChannels, s[1].InputChannels, s[1].OutChannels, s[3].OutChannels,
            s[6].OutChannels, s[10].OutChannels, s[12].OutChannels, s[14].OutChannels });
        Assert.Equal(lastChannel, last);
    }

    [Fact]
    public void DynamicPerceiverSplit_At224_GivesThePaperResolutions()
    {
        var net = MobileNetV3.Large(0.75, 10, new Rng(0));
        var shapes = net.FeatureOutputShapes(224, 224);
        var split = MobileNetV3.DynamicPerceiverSplit;
        Assert.Equal([(0, 3), (3, 5), (5, 8), (8, 14), (14, 17)], split);
        Assert.Equal([56, 28, 14, 7, 7], split.Select(p => shapes[p.End - 1].H));
        Assert.Equal(net.LastConvOutputChannels, shapes[^1].C);
        // Stage i's input channels (the latent widths C_1..C_4 of mobilenetV3_0x75_perceiver).
        Assert.Equal([24, 32, 64, 120], split.Skip(1).Select(p => net.FeatureInChannels(p.Start)));
    }

    [Fact]
    public void Create_Small28_HasStride1StemAndDefaultExitsAfterStages1To3()
    {
        var model = Create(new ModelOptions { WidthMultiplier = 0.25 });
        Assert.True(model.SmallStem);
        var shapes = model.Backbone.FeatureOutputShapes(28, 28);
        Assert.Equal([28, 14, 7, 4, 4], MobileNetV3.DynamicPerceiverSplit.Select(p => shapes[p.End - 1].H));
        Assert.Equal(16, model.Blocks.Count);
        Assert.Equal([3, 6, 12], model.ExitAfter);
        Assert.Equal(["features.4", "features.7", "features.13", "classifier"], model.Exits.Select(e => e.Name));

        var big = Create(new ModelOptions { InputShape = [3, 64, 64], WidthMultiplier = 0.25 });
        Assert.False(big.SmallStem);
        Assert.Equal(32, big.Backbone.FeatureOutputShapes(64, 64)[0].H); // stride-2 first conv
    }

    [Fact]
    public void StateDict_MultiExit_IsTorchvisionKeysThenExits()
    {
        var model = Create(new ModelOptions { InputShape = [3, 32, 32], WidthMultiplier = 0.5 });
        var backboneKeys = model.Backbone.StateDict().Keys.ToList();
        var keys = model.StateDict().Keys.ToList();
        Assert.Equal(backboneKeys, keys.Take(backboneKeys.Count).ToList());
        Assert.Equal("features.0.0.weight", keys[0]);
        Assert.Contains("features.4.block.2.fc1.weight", keys);
        Assert.Contains("classifier.3.bias", keys);
        Assert.Equal(6, keys.Count - backboneKeys.Count);
        Assert.All(keys.Skip(backboneKeys.Count), k => Assert.StartsWith("exits.", k, StringComparison.Ordinal));
    }

    [Fact]
    public void Exits_Macs_AreCumulativeInStagedOrder()
    {
        var model = Create(new ModelOptions { InputShape = [1, 28, 28], WidthMultiplier = 0.75 });
        var macs = model.Backbone.FeatureMacs(28, 28);
        Assert.Equal(macs.Take(5).Sum() + model.Heads[0].Macs, model.Exits[0].Macs);
        long heads = model.Heads.Sum(h => h.Macs);
        Assert.Equal(model.Backbone.TotalMacs(28, 28) + heads, model.Exits[^1].Macs);
    }

    [Fact]
    public void ForwardFeatures_BadRangeOrInput_Throws()
    {
        var net = MobileNetV3.Large(0.5, 10, new Rng(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.ForwardFeatures(Tensor.Zeros([1, 3, 8, 8]), 3, 18));
        var e = Assert.Throws<ArgumentException>(() => net.ForwardFeatures(Tensor.Zeros([1, 3, 8, 8]), 3, 5));
        Assert.Contains("c_in=16", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => net.ForwardHead(Tensor.Zeros([1, 8, 2, 2])));
    }

    [Fact]
    public void Init_FollowsTorchvision()
    {
        var net = MobileNetV3.Large(1.0, 10, new Rng(3));
        // features.12.block.0 (1×1, 112 → 672): kaiming_normal_(fan_out = 672), std √(2/672); 75,264 draws.
        var w = ((Offramp.Models.Blocks.ConvNormActivation)((InvertedResidual)net.Features[12]).Block[0]).Conv.Weight
            .ToArray();
        Assert.InRange(Math.Sqrt(w.Average(v => (double)v * v)) / Math.Sqrt(2.0 / 672), 0.98, 1.02);
        var se = (Offramp.Models.Blocks.SqueezeExcitation)((InvertedResidual)net.Features[12]).Block[2];
        Assert.All(se.Fc1.Bias!.ToArray(), v => Assert.Equal(0f, v));
        var fc = ((Offramp.Engine.Nn.Linear)net.Classifier[0]).Weight.ToArray();
        Assert.InRange(Math.Sqrt(fc.Average(v => (double)v * v)), 0.0098, 0.0102);
        Assert.Equal(0.2, ((Offramp.Engine.Nn.Dropout)net.Classifier[2]).P);
    }
}
