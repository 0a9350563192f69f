using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.RegNets;

namespace Offramp.Tests.Models;

/// <summary>RegNetY against torchvision 0.14 (fixtures of tools/torchvision_backbones.py).</summary>
public class RegNetYTorchvisionTests
{
    [Theory]
    [InlineData("regnet_y_400mf")]
    [InlineData("regnet_y_800mf")]
    [InlineData("regnet_y_1_6gf")]
    [InlineData("regnet_y_3_2gf")]
    public void FromInitParams_TorchvisionVariants_GiveTorchvisionStages(string name)
    {
        var e = TorchvisionBackboneFixture.RegNet(name);
        var p = RegNetYVariants.Get(name);
        Assert.Equal(TorchvisionBackboneFixture.Ints(e.GetProperty("depths")), p.Depths);
        Assert.Equal(TorchvisionBackboneFixture.Ints(e.GetProperty("widths")), p.Widths);
        Assert.Equal(TorchvisionBackboneFixture.Ints(e.GetProperty("group_widths")), p.GroupWidths);
        Assert.Equal([2, 2, 2, 2], p.Strides);
        Assert.Equal(0.25, p.SeRatio);
    }

    [Fact]
    public void FromInitParams_TinyCase_AdjustsWidthsAndGroupsAsTorchvision()
    {
        // depth 8, w_0 16, w_a 12.7, w_m 2.1, group width 24: the quantized widths [16, 32, 72, 152] become
        // [16, 48, 72, 144] with group widths [16, 24, 24, 24] (min(g, w) and MakeDivisible(w, g)).
        var (_, c) = TorchvisionBackboneFixture.Parity("regnet_y_tiny");
        var p = TinyParams(c);
        Assert.Equal(TorchvisionBackboneFixture.Ints(c.GetProperty("depths")), p.Depths);
        Assert.Equal(TorchvisionBackboneFixture.Ints(c.GetProperty("widths")), p.Widths);
        Assert.Equal(TorchvisionBackboneFixture.Ints(c.GetProperty("group_widths")), p.GroupWidths);
        Assert.Equal([16, 48, 72, 144], p.Widths);
        Assert.Equal([16, 24, 24, 24], p.GroupWidths);
    }

    [Fact]
    public void FromInitParams_InvalidSettings_Throw()
    {
        Assert.Throws<ArgumentException>(() => RegNetBlockParams.FromInitParams(16, 44, 27.89, 2.09, 8));
        Assert.Throws<ArgumentException>(() => RegNetBlockParams.FromInitParams(16, 48, -1, 2.09, 8));
        Assert.Throws<ArgumentException>(() => RegNetBlockParams.FromInitParams(16, 48, 27.89, 1.0, 8));
    }

    /// <summary>
    /// Parameter count, state-dict keys/order/shapes and MACs (total and per part) at 3×224×224 with 1000 classes
    /// equal torchvision's, and the MACs round to torchvision's published GFLOPS. Slow: up to 19M parameters.
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("regnet_y_400mf", 0.40)]
    [InlineData("regnet_y_800mf", 0.83)]
    [InlineData("regnet_y_1_6gf", 1.61)]
    [InlineData("regnet_y_3_2gf", 3.18)]
    public void Backbone_At224_MatchesTorchvisionParamsKeysAndMacs(string name, double publishedGflops)
    {
        var e = TorchvisionBackboneFixture.RegNet(name);
        var net = new RegNetY(RegNetYVariants.Get(name), 1000, new Rng(0));
        Assert.Equal(e.GetProperty("params").GetInt64(), net.ParameterCount());
        TorchvisionBackboneFixture.AssertSameStateDict(e, net, name);

        var parts = e.GetProperty("part_macs");
        var shapes = e.GetProperty("part_shapes");
        Assert.Equal(parts.GetProperty("stem").GetInt64(), net.StemMacs(224, 224));
        Assert.Equal(TorchvisionBackboneFixture.Ints(shapes.GetProperty("stem")), Tuple(net.StemOutputShape(224, 224)));
        for (int s = 0; s < 4; s++)
        {
            Assert.Equal(parts.GetProperty($"block{s + 1}").GetInt64(), net.StageMacs(s, 224, 224));
            Assert.Equal(TorchvisionBackboneFixture.Ints(shapes.GetProperty($"block{s + 1}")),
                Tuple(net.StageOutputShape(s, 224, 224)));
        }

        Assert.Equal(parts.GetProperty("head").GetInt64(), net.HeadMacs);
        long total = net.TotalMacs(224, 224);
        Assert.Equal(e.GetProperty("macs").GetInt64(), total);
        Assert.Equal(publishedGflops, Math.Round(total / 1e9, 2));
    }

    [Fact]
    public void Forward_TinyRegNetYWithTorchvisionWeights_MatchesTorchvision()
    {
        var (t, c) = TorchvisionBackboneFixture.Parity("regnet_y_tiny");
        var net = new RegNetY(TinyParams(c), c.GetProperty("num_classes").GetInt32(), new Rng(5));
        var result = net.LoadStateDict(TorchvisionBackboneFixture.State(t)); // strict
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        net.Eval();
        using var _ = Autograd.NoGrad();
        var x = net.ForwardStem(t["input"]);
        ModelAssert.Close(t["out.stem"], x, TorchvisionBackboneFixture.Atol, TorchvisionBackboneFixture.Rtol, "stem");
        for (int s = 0; s < 4; s++)
        {
            x = net.ForwardStage(s, x);
            ModelAssert.Close(t[$"out.block{s + 1}"], x, TorchvisionBackboneFixture.Atol,
                TorchvisionBackboneFixture.Rtol, $"block{s + 1}");
        }

        ModelAssert.Close(t["logits"], net.ForwardHead(x), TorchvisionBackboneFixture.Atol,
            TorchvisionBackboneFixture.Rtol, "logits");
        ModelAssert.Close(t["logits"], net.Forward(t["input"]), TorchvisionBackboneFixture.Atol,
            TorchvisionBackboneFixture.Rtol, "Forward");
    }

    [Fact]
    public void LoadStateDict_TinyWeightsIntoOtherWidths_FailsNamingKeyAndShapes()
    {
        var (t, _) = TorchvisionBackboneFixture.Parity("regnet_y_tiny");
        // 400MF at width 0.25: stage 1 has 16 channels as the tiny case, stage 2 24 instead of 48.
        var net = new RegNetY(RegNetYVariants.Get("regnet_y_400mf").Scale(0.25), 10, new Rng(5));
        var before = net.Stem.Conv.Weight.ToArray();
        var e = Assert.Throws<StateDictMismatchException>(() => net.LoadStateDict(TorchvisionBackboneFixture.State(t)));
        Assert.Contains("trunk_output.block2.block2-0.proj.0.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("(48, 16, 1, 1)", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, net.Stem.Conv.Weight.ToArray()); // nothing copied
    }

    internal static RegNetBlockParams TinyParams(System.Text.Json.JsonElement c) => RegNetBlockParams.FromInitParams(
        c.GetProperty("depth").GetInt32(), c.GetProperty("w_0").GetInt32(), c.GetProperty("w_a").GetDouble(),
        c.GetProperty("w_m").GetDouble(), c.GetProperty("group_width").GetInt32(),
        seRatio: c.GetProperty("se_ratio").GetDouble());

    private static int[] Tuple((int C, int H, int W) s) => [s.C, s.H, s.W];
}
