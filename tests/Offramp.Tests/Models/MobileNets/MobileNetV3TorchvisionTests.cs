using Offramp.Engine;
using Offramp.Models.MobileNets;

namespace Offramp.Tests.Models;

/// <summary>MobileNetV3-Large against torchvision 0.14 (fixtures of tools/torchvision_backbones.py).</summary>
public class MobileNetV3TorchvisionTests
{
    /// <summary>
    /// Parameter count, state-dict keys/order/shapes, MACs per feature block and in total, output shapes, the
    /// Dynamic Perceiver's stage input channels, last conv and classifier widths at 3×224×224 with 1000 classes,
    /// for every width the Dynamic Perceiver uses. Slow: up to 19M parameters.
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(0.5)]
    [InlineData(0.75)]
    [InlineData(1.0)]
    [InlineData(1.25)]
    [InlineData(1.5)]
    [InlineData(2.0)]
    public void Backbone_At224_MatchesTorchvision(double width)
    {
        var e = TorchvisionBackboneFixture.MobileNet(width);
        var net = MobileNetV3.Large(width, 1000, new Rng(0));
        string what = $"mobilenet_v3_large({width})";
        Assert.Equal(e.GetProperty("params").GetInt64(), net.ParameterCount());
        TorchvisionBackboneFixture.AssertSameStateDict(e, net, what);
        Assert.Equal(e.GetProperty("lastconv_output_channels").GetInt32(), net.LastConvOutputChannels);
        Assert.Equal(e.GetProperty("last_channel").GetInt32(), net.LastChannel);
        Assert.Equal(TorchvisionBackboneFixture.Ints(e.GetProperty("stage_in_channels")),
            MobileNetV3.DynamicPerceiverSplit.Skip(1).Select(s => net.FeatureInChannels(s.Start)).ToArray());

        var macs = net.FeatureMacs(224, 224);
        var shapes = net.FeatureOutputShapes(224, 224);
        var parts = e.GetProperty("part_macs");
        var partShapes = e.GetProperty("part_shapes");
        Assert.Equal(17, macs.Length);
        for (int i = 0; i < macs.Length; i++)
        {
            string k = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(parts.GetProperty(k).GetInt64() == macs[i], $"{what} features.{i}: {macs[i]} MACs");
            Assert.Equal(TorchvisionBackboneFixture.Ints(partShapes.GetProperty(k)),
                new[] { shapes[i].C, shapes[i].H, shapes[i].W });
        }

        Assert.Equal(parts.GetProperty("head").GetInt64(), net.HeadMacs);
        Assert.Equal(e.GetProperty("macs").GetInt64(), net.TotalMacs(224, 224));
    }

    [Fact]
    public void TotalMacs_Width1At224_RoundsToPublishedGflops()
    {
        // torchvision's MobileNet_V3_Large_Weights: 0.22 GFLOPS. Width 1 has 5.5M parameters (fast enough here).
        var net = MobileNetV3.Large(1.0, 1000, new Rng(0));
        Assert.Equal(0.22, Math.Round(net.TotalMacs(224, 224) / 1e9, 2));
    }

    [Fact]
    public void Forward_Width05WithTorchvisionWeights_MatchesTorchvisionAtEverySplit()
    {
        var (t, c) = TorchvisionBackboneFixture.Parity("mobilenet_v3_large_0x5");
        var net = MobileNetV3.Large(c.GetProperty("width_mult").GetDouble(), c.GetProperty("num_classes").GetInt32(),
            new Rng(5));
        var result = net.LoadStateDict(TorchvisionBackboneFixture.State(t)); // strict
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        net.Eval();
        using var _ = Autograd.NoGrad();
        var x = t["input"];
        foreach (var (start, end) in MobileNetV3.DynamicPerceiverSplit)
        {
            x = net.ForwardFeatures(x, start, end);
            ModelAssert.Close(t[$"out.features{start}_{end}"], x, TorchvisionBackboneFixture.Atol,
                TorchvisionBackboneFixture.Rtol, $"features[{start}:{end}]");
        }

        ModelAssert.Close(t["logits"], net.ForwardHead(x), TorchvisionBackboneFixture.Atol,
            TorchvisionBackboneFixture.Rtol, "logits");
        ModelAssert.Close(t["logits"], net.Forward(t["input"]), TorchvisionBackboneFixture.Atol,
            TorchvisionBackboneFixture.Rtol, "Forward");
    }
}
