using Offramp.Engine;
using Offramp.Models;
using Offramp.Models.Heads;
using Offramp.Models.RegNets;

namespace Offramp.Tests.Models;

/// <summary>RegNetY blocks, MACs by hand, width scaling, and the multi-exit model's layout.</summary>
public class RegNetYTests
{
    private static MultiExitRegNetY Create(string name, ModelOptions options) =>
        (MultiExitRegNetY)ModelRegistry.Create(name, options);

    [Fact]
    public void Macs_Block2Of400mfAt56_MatchesHandCount()
    {
        // regnet_y_400mf block2-0: 48 → 104 channels, stride 2, group width 8 (13 groups), SE width round(0.25·48).
        var block = new ResBottleneckBlock(48, 104, 2, 8, 1.0, 0.25, new Rng(0));
        long a = 56L * 56 * 48 * 104;        // 1×1 48→104 at 56×56
        long b = 104L * 28 * 28 * 8 * 9;     // 3×3 grouped (8 inputs per group), stride 2 → 28×28
        long se = 2L * 104 * 12;             // fc1 104→12 and fc2 12→104 on 1×1
        long c = 28L * 28 * 104 * 104;       // 1×1 104→104 at 28×28
        long proj = 28L * 28 * 48 * 104;     // 1×1 stride-2 projection
        Assert.Equal(33_921_472L, a + b + se + c + proj);
        Assert.Equal(a + b + se + c + proj, block.Macs(56, 56));
        Assert.Equal((28, 28), block.OutputSize(56, 56));
        Assert.Equal(13, block.F.B.Conv.Groups);
        Assert.Equal(12, block.F.Se!.SqueezeChannels);
        Assert.NotNull(block.Proj);
        Assert.Null(new ResBottleneckBlock(104, 104, 1, 8, 1.0, 0.25, new Rng(0)).Proj);
    }

    [Fact]
    public void Scale_One_IsIdentity_Quarter_KeepsGroupCompatibleMultiplesOf8()
    {
        var p = RegNetYVariants.Get("regnety_400mf");
        Assert.Same(p, p.Scale(1.0));
        var q = p.Scale(0.25);
        Assert.Equal([16, 24, 56, 112], q.Widths); // MakeDivisible([12, 26, 52, 110], 8)
        Assert.Equal(p.Depths, q.Depths);
        Assert.All(q.Widths.Zip(q.GroupWidths), wg => Assert.Equal(0, wg.First % wg.Second));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.Scale(0));
    }

    [Fact]
    public void Create_Small28_HasStride1StemAndStage1_AndDefaultExitsAfterStages1To3()
    {
        var model = Create("regnety_400mf", new ModelOptions { WidthMultiplier = 0.25 });
        Assert.True(model.SmallStem);
        Assert.Equal((1, 1), model.Backbone.Stem.Conv.Stride);
        Assert.Equal([1, 2, 2, 2], model.Backbone.BlockParams.Strides);
        Assert.Equal(16, model.Blocks.Count);
        // Stage outputs 28/14/7/4 for a 28×28 image; exits after the last block of stages 1–3.
        Assert.Equal((16, 28, 28), model.Backbone.StageOutputShape(0, 28, 28));
        Assert.Equal((112, 4, 4), model.Backbone.StageOutputShape(3, 28, 28));
        Assert.Equal([0, 3, 9], model.ExitAfter);
        Assert.Equal(["block1-0", "block2-2", "block3-5", "fc"], model.Exits.Select(e => e.Name));
        Assert.Equal([16, 24, 56], model.Heads.Select(h => h.InChannels));
    }

    [Fact]
    public void Create_At224_UsesTorchvisionStemAndStrides()
    {
        var model = Create("regnety_800mf", new ModelOptions
        {
            InputShape = [3, 224, 224], NumClasses = 1000, WidthMultiplier = 0.25, ExitAfter = [],
        });
        Assert.False(model.SmallStem);
        Assert.Equal((2, 2), model.Backbone.Stem.Conv.Stride);
        Assert.Equal([2, 2, 2, 2], model.Backbone.BlockParams.Strides);
        Assert.Equal(8, model.Backbone.StemWidth); // MakeDivisible(32·0.25, 8)
        Assert.Equal((model.Backbone.OutChannels, 7, 7), model.Backbone.StageOutputShape(3, 224, 224));
    }

    [Fact]
    public void StateDict_MultiExit_IsTorchvisionKeysThenExits()
    {
        var model = Create("regnety_400mf", new ModelOptions { InputShape = [3, 64, 64], Seed = 1 });
        var backboneKeys = model.Backbone.StateDict().Keys.ToList();
        var keys = model.StateDict().Keys.ToList();
        Assert.Equal(backboneKeys, keys.Take(backboneKeys.Count).ToList());
        Assert.Equal("stem.0.weight", keys[0]);
        Assert.Contains("trunk_output.block1.block1-0.f.se.fc1.weight", keys);
        Assert.Equal(["exits.0.fc.weight", "exits.0.fc.bias", "exits.1.fc.weight", "exits.1.fc.bias",
            "exits.2.fc.weight", "exits.2.fc.bias"], keys.Skip(backboneKeys.Count).ToList());
    }

    [Fact]
    public void Exits_Macs_AreStemBlocksAndHeadsInStagedOrder()
    {
        var options = new ModelOptions { InputShape = [3, 32, 32], WidthMultiplier = 0.5, Head = "sdn" };
        var model = Create("regnety_800mf", options);
        var net = model.Backbone;
        long stages12 = net.StageMacs(0, 32, 32) + net.StageMacs(1, 32, 32);
        Assert.Equal(net.StemMacs(32, 32) + net.StageMacs(0, 32, 32) + model.Heads[0].Macs, model.Exits[0].Macs);
        Assert.Equal(net.StemMacs(32, 32) + stages12 + model.Heads[0].Macs + model.Heads[1].Macs, model.Exits[1].Macs);
        long heads = model.Heads.Sum(h => h.Macs);
        Assert.Equal(net.TotalMacs(32, 32) + heads, model.Exits[^1].Macs);
        Assert.All(model.Heads, h => Assert.IsType<SdnExitHead>(h));

        var single = Create("regnety_800mf", options with { ExitAfter = [] });
        Assert.Equal(single.Backbone.TotalMacs(32, 32), Assert.Single(single.Exits).Macs);
    }

    [Theory]
    [InlineData(new[] { 15 })]
    [InlineData(new[] { -1 })]
    [InlineData(new[] { 2, 2 })]
    public void ExitAfter_Invalid_ThrowsNamingTheRange(int[] exitAfter)
    {
        var e = Assert.Throws<ArgumentException>(() => Create("regnety_400mf",
            new ModelOptions { WidthMultiplier = 0.25, ExitAfter = exitAfter }));
        Assert.Contains("0..14", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_BadOptions_Throw()
    {
        Assert.Throws<ArgumentException>(() => Create("regnety_400mf", new ModelOptions { InputShape = [28, 28] }));
        Assert.Throws<ArgumentException>(() => Create("regnety_400mf", new ModelOptions { NumClasses = 0 }));
        Assert.Throws<ArgumentException>(() => Create("regnety_400mf",
            new ModelOptions { Extra = new Dictionary<string, string> { ["stem"] = "deep" } }));
        var forward = Create("regnety_400mf", new ModelOptions { WidthMultiplier = 0.25 });
        Assert.Throws<ArgumentException>(() => forward.Backbone.ForwardStage(1, Tensor.Zeros([1, 3, 8, 8])));
    }

    [Fact]
    public void Init_FollowsTorchvision()
    {
        var net = new RegNetY(RegNetYVariants.Get("regnety_400mf"), 10, new Rng(3));
        // block3-0.f.a: 1×1 conv 104 → 208, std √(2/208); 21,632 draws.
        var w = net.Stages[2].Blocks[0].F.A.Conv.Weight.ToArray();
        double std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.InRange(std / Math.Sqrt(2.0 / 208), 0.97, 1.03);
        var fc = net.Fc.Weight.ToArray();
        Assert.InRange(Math.Sqrt(fc.Average(v => (double)v * v)), 0.0095, 0.0105);
        Assert.All(net.Fc.Bias!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(net.Stages[0].Blocks[0].F.C.Bn.Weight!.ToArray(), v => Assert.Equal(1f, v));
    }
}
