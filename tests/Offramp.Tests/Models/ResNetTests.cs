using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models;
using Offramp.Models.Heads;
using Offramp.Models.ResNets;

namespace Offramp.Tests.Models;

/// <summary>ResNet layout, names, stems, exit placement and initialisation.</summary>
public class ResNetTests
{
    private static ResNet Create(string name, ModelOptions options) => (ResNet)ModelRegistry.Create(name, options);

    /// <summary>torchvision's state-dict keys for a ResNet, in its order (conv1, bn1, layerS.i.*, fc).</summary>
    private static List<string> TorchvisionKeys(int[] depths, bool bottleneck)
    {
        static IEnumerable<string> Bn(string p) =>
            new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }.Select(s => $"{p}.{s}");

        var keys = new List<string> { "conv1.weight" };
        keys.AddRange(Bn("bn1"));
        for (int s = 0; s < depths.Length; s++)
        {
            for (int i = 0; i < depths[s]; i++)
            {
                string b = $"layer{s + 1}.{i}";
                foreach (int c in bottleneck ? new[] { 1, 2, 3 } : [1, 2])
                {
                    keys.Add($"{b}.conv{c}.weight");
                    keys.AddRange(Bn($"{b}.bn{c}"));
                }

                if (i == 0 && (s > 0 || bottleneck))
                {
                    keys.Add($"{b}.downsample.0.weight");
                    keys.AddRange(Bn($"{b}.downsample.1"));
                }
            }
        }

        keys.Add("fc.weight");
        keys.Add("fc.bias");
        return keys;
    }

    [Theory]
    [InlineData("resnet18", false, new[] { 2, 2, 2, 2 }, 122)]
    [InlineData("resnet50", true, new[] { 3, 4, 6, 3 }, 320)]
    public void StateDict_FinalExitOnly_HasTorchvisionKeysInOrder(string name, bool bottleneck, int[] depths, int count)
    {
        var model = Create(name,
            new ModelOptions { InputShape = [3, 64, 64], NumClasses = 3, WidthMultiplier = 0.125, ExitAfter = [] });
        var expected = TorchvisionKeys(depths, bottleneck);
        Assert.Equal(count, expected.Count);
        Assert.Equal(expected, model.StateDict().Keys.ToList());
    }

    [Fact]
    public void StateDict_WithExits_AddsHeadKeysAfterTheBackbone()
    {
        var model = Create("resnet8", new ModelOptions { InputShape = [1, 16, 16], Head = "sdn" });
        var keys = model.StateDict().Keys.ToList();
        Assert.Equal(TorchvisionKeys([1, 1, 1], false), keys.Take(keys.Count - 6).ToList());
        Assert.Equal(["exits.0.alpha", "exits.0.linear.weight", "exits.0.linear.bias",
            "exits.1.alpha", "exits.1.linear.weight", "exits.1.linear.bias"], keys.Skip(keys.Count - 6).ToList());
    }

    [Fact]
    public void Create_At224_UsesImageNetStemAndTorchvisionShapes()
    {
        // Width 0.25 keeps construction fast: torchvision's 64/128/…/512 channels become 16/32/…/128.
        var model = Create("resnet18",
            new ModelOptions { InputShape = [3, 224, 224], NumClasses = 1000, WidthMultiplier = 0.25, ExitAfter = [] });
        Assert.Equal(ResNetStem.ImageNet, model.Stem);
        Assert.NotNull(model.MaxPool);
        Assert.Equal([16, 3, 7, 7], model.Conv1.Weight.Shape);
        Assert.Equal((16, 56, 56), model.BlockOutputShape(0));
        Assert.Equal((32, 28, 28), model.BlockOutputShape(2));
        Assert.Equal((128, 7, 7), model.BlockOutputShape(7));
        Assert.Equal([1000, 128], model.Fc.Weight.Shape);
    }

    [Theory]
    [InlineData("resnet18", 28, ResNetStem.Small)]
    [InlineData("resnet18", 32, ResNetStem.Small)]
    [InlineData("resnet18", 64, ResNetStem.ImageNet)]
    [InlineData("resnet20", 224, ResNetStem.Small)]
    public void Stem_Auto_FollowsInputSize(string name, int side, ResNetStem expected)
    {
        var model = Create(name, new ModelOptions { InputShape = [3, side, side], WidthMultiplier = 0.125 });
        Assert.Equal(expected, model.Stem);
        Assert.Equal(expected == ResNetStem.ImageNet, model.MaxPool is not null);
    }

    [Fact]
    public void Stem_Option_OverridesAutoAndRejectsImageNetForCifar()
    {
        var extra = new Dictionary<string, string> { ["stem"] = "imagenet" };
        var model = Create("resnet18",
            new ModelOptions { InputShape = [1, 28, 28], WidthMultiplier = 0.125, Extra = extra });
        Assert.Equal(ResNetStem.ImageNet, model.Stem);
        Assert.Equal((8, 7, 7), model.BlockOutputShape(0));
        Assert.Throws<ArgumentException>(() => Create("resnet20", new ModelOptions { Extra = extra }));
        var deep = new Dictionary<string, string> { ["stem"] = "deep" };
        Assert.Throws<ArgumentException>(() => Create("resnet18", new ModelOptions { Extra = deep }));
    }

    [Fact]
    public void Create_Cifar28_HasPaperStagesAndDefaultExitsAfterStages()
    {
        var model = Create("resnet20", new ModelOptions());
        Assert.Equal(ResNetStem.Small, model.Stem);
        Assert.Equal([16, 1, 3, 3], model.Conv1.Weight.Shape);
        Assert.Equal(9, model.Blocks.Count);
        Assert.Equal((16, 28, 28), model.BlockOutputShape(2));
        Assert.Equal((32, 14, 14), model.BlockOutputShape(5));
        Assert.Equal((64, 7, 7), model.BlockOutputShape(8));
        Assert.Equal([2, 5], model.ExitAfter);
        Assert.Equal(["layer1.2", "layer2.2", "fc"], model.Exits.Select(e => e.Name));
        Assert.Equal([0, 1, 2], model.Exits.Select(e => e.Index));
    }

    [Fact]
    public void ExitAfter_Custom_PlacesHeadsOnThoseBlocks()
    {
        var model = Create("resnet18", new ModelOptions { WidthMultiplier = 0.125, ExitAfter = [6, 0, 3] });
        Assert.Equal([0, 3, 6], model.ExitAfter);
        Assert.Equal(["layer1.0", "layer2.1", "layer4.0", "fc"], model.Exits.Select(e => e.Name));
        Assert.Equal([8, 16, 64], model.Heads.Select(h => h.InChannels));
        Assert.All(model.Heads, h => Assert.IsType<LinearExitHead>(h));
    }

    [Theory]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { -1 })]
    [InlineData(new[] { 2, 2 })]
    public void ExitAfter_Invalid_Throws(int[] exitAfter)
    {
        var e = Assert.Throws<ArgumentException>(
            () => Create("resnet18", new ModelOptions { WidthMultiplier = 0.125, ExitAfter = exitAfter }));
        Assert.Contains("0..6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UnknownHeadOrBadShape_Throws()
    {
        Assert.Throws<ArgumentException>(() => Create("resnet8", new ModelOptions { Head = "mlp" }));
        Assert.Throws<ArgumentException>(() => Create("resnet8", new ModelOptions { InputShape = [28, 28] }));
        Assert.Throws<ArgumentException>(() => Create("resnet8", new ModelOptions { NumClasses = 0 }));
        Assert.Throws<ArgumentException>(() => Create("resnet8", new ModelOptions { WidthMultiplier = 0 }));
    }

    [Fact]
    public void Create_SameSeed_SameWeights_OtherSeed_Different()
    {
        var a = Create("resnet8", new ModelOptions { Seed = 3, Head = "sdn" }).StateDict();
        var b = Create("resnet8", new ModelOptions { Seed = 3, Head = "sdn" }).StateDict();
        var c = Create("resnet8", new ModelOptions { Seed = 4, Head = "sdn" }).StateDict();
        Assert.All(a.Keys, k => Assert.Equal(a[k].ToArray(), b[k].ToArray()));
        Assert.NotEqual(a["layer1.0.conv1.weight"].ToArray(), c["layer1.0.conv1.weight"].ToArray());
    }

    [Fact]
    public void Init_Convs_AreKaimingNormalFanOutAndBatchNormsOnesZeros()
    {
        var model = Create("resnet20", new ModelOptions { ExitAfter = [] });
        // layer3.2.conv2: (64, 64, 3, 3), fan_out = 64·9, std = √(2/fan_out) ≈ 0.059; 36,864 draws (std of the
        // estimate ≈ 0.4%).
        var w = model.StateDict()["layer3.2.conv2.weight"].ToArray();
        double mean = w.Average(v => (double)v), std = Math.Sqrt(w.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -2e-3, 2e-3);
        Assert.InRange(std / Math.Sqrt(2.0 / (64 * 9)), 0.98, 1.02);
        // conv1 of the stem: fan_out = 16·9.
        var stem = model.Conv1.Weight.ToArray();
        Assert.InRange(Math.Sqrt(stem.Average(v => (double)v * v)) / Math.Sqrt(2.0 / (16 * 9)), 0.8, 1.2);
        var bn = (BatchNorm2d)model.GetSubmodule("layer3.0.bn2");
        Assert.All(bn.Weight!.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.Bias!.ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData("resnet20", "bn2")]
    [InlineData("resnet50", "bn3")]
    public void ZeroInitLast_ZeroesTheLastBatchNormOfEveryBlock(string name, string last)
    {
        var options = new ModelOptions
        {
            WidthMultiplier = 0.125,
            Extra = new Dictionary<string, string> { ["zero_init_last"] = "true" },
        };
        var model = Create(name, options);
        Assert.True(model.ZeroInitLast);
        foreach (var b in model.BlockNames)
        {
            var bn = (BatchNorm2d)model.GetSubmodule($"{b}.{last}");
            Assert.All(bn.Weight!.ToArray(), v => Assert.Equal(0f, v));
        }

        Assert.All(((BatchNorm2d)model.GetSubmodule("layer1.0.bn1")).Weight!.ToArray(), v => Assert.Equal(1f, v));
        Assert.False(Create(name, options with { Extra = new Dictionary<string, string>() }).ZeroInitLast);
    }

    [Fact]
    public void Exits_Macs_MatchHandCountInStagedOrder()
    {
        // resnet20, 3×32×32, 10 classes, default linear exits after stages 1 and 2.
        // Stem 16·32²·3·9; stage 1: 6 convs 16·32²·16·9; stages 2 and 3: 6 convs of 2,359,296 but the first at half
        // input width (1,179,648) + projection 131,072 = 13,107,200 each; heads 16·10, 32·10, fc 64·10.
        var model = Create("resnet20", new ModelOptions { InputShape = [3, 32, 32] });
        long stem = 16L * 1024 * 3 * 9, stage1 = 6L * 16 * 1024 * 16 * 9, stage = 13_107_200;
        Assert.Equal(442_368, stem);
        Assert.Equal(stem + stage1 + 160, model.Exits[0].Macs);
        Assert.Equal(stem + stage1 + 160 + stage + 320, model.Exits[1].Macs);
        Assert.Equal(stem + stage1 + 160 + 2 * stage + 320 + 640, model.Exits[2].Macs);
        // Without exits: 40,813,184 (the paper's option-A ResNet-20 is the familiar 40.55M: 2·131,072 less).
        var plain = Create("resnet20", new ModelOptions { InputShape = [3, 32, 32], ExitAfter = [] });
        Assert.Equal(40_813_184, Assert.Single(plain.Exits).Macs);
    }

    [Fact]
    public void Exits_SdnMacs_CountTheHeadLinear()
    {
        // resnet8 at 1×28×28: stage-1 map 16×28×28 → k = 7, grid 4: 16·16·K; stage-2 map 32×14×14 → k = 3, grid 4.
        var lin = Create("resnet8", new ModelOptions());
        var sdn = Create("resnet8", new ModelOptions { Head = "sdn" });
        Assert.Equal(lin.Exits[0].Macs - 16 * 10 + 16 * 16 * 10, sdn.Exits[0].Macs);
        Assert.Equal(lin.Exits[2].Macs - (16 + 32) * 10 + (16 + 32) * 16 * 10, sdn.Exits[2].Macs);
    }

    [Fact]
    public void Overrides_DepthsWidthsStemAndFirstStride_BuildThatArchitectureWithHandCountedMacs()
    {
        // 1×28×28, stem 8, stages 16/32 of 1 and 2 blocks, first stage stride 2: 28 → 14 → 7, linear exit after
        // stage 1. Stem 8·28²·9; block 1.0: conv 8→16 s2 at 14² (16·196·72), conv 16→16 (16·196·144), projection
        // 16·196·8; block 2.0: conv 16→32 s2 at 7² (32·49·144), conv 32→32 (32·49·288), projection 32·49·16;
        // block 2.1: 2 × 32·49·288.
        var extra = new Dictionary<string, string>
        {
            ["depths"] = "1/2", ["widths"] = "16/32", ["stem_width"] = "8", ["first_stride"] = "2",
        };
        var model = Create("resnet8", new ModelOptions { Extra = extra });
        Assert.Equal([1, 2], model.Arch.Depths);
        Assert.Equal(2, model.Arch.FirstStride);
        Assert.Equal((16, 14, 14), model.BlockOutputShape(0));
        Assert.Equal((32, 7, 7), model.BlockOutputShape(2));
        long stem = 8L * 784 * 9;
        long b10 = 16L * 196 * 72 + 16L * 196 * 144 + 16L * 196 * 8;
        long b20 = 32L * 49 * 144 + 32L * 49 * 288 + 32L * 49 * 16, b21 = 2L * 32 * 49 * 288;
        Assert.Equal(stem + b10 + 16 * 10, model.Exits[0].Macs);
        Assert.Equal(stem + b10 + 16 * 10 + b20 + b21 + 32 * 10, model.Exits[1].Macs);
        Assert.Equal(2, model.Exits.Count);
        var y = model.ForwardAll(Tensor.Zeros(2, 1, 28, 28));
        Assert.Equal([2, 10], y[1].Shape);
    }

    [Fact]
    public void Overrides_Strides_SetEachStagesFirstStride()
    {
        // resnet8 at 1×28×28 with strides 2/1/2: 28 → 14 → 14 → 7; the second stage keeps 14² (and its projection is
        // a 1×1 stride-1 conv, 16 → 32 channels).
        var extra = new Dictionary<string, string> { ["strides"] = "2/1/2" };
        var model = Create("resnet8", new ModelOptions { Extra = extra });
        Assert.Equal((16, 14, 14), model.BlockOutputShape(0));
        Assert.Equal((32, 14, 14), model.BlockOutputShape(1));
        Assert.Equal((64, 7, 7), model.BlockOutputShape(2));
        Assert.Equal([2, 1, 2], model.Arch.Strides!);
        Assert.Equal(2, model.Arch.FirstStride);
        long b1 = (32L * 196 * 144) + (32L * 196 * 288) + (32L * 196 * 16);
        var plain = Create("resnet8", new ModelOptions { Extra = new Dictionary<string, string> { ["first_stride"] = "2" } });
        Assert.Equal((32, 7, 7), plain.BlockOutputShape(1));
        Assert.Equal(plain.Exits[0].Macs + b1 + (32 * 10), model.Exits[1].Macs);
    }

    [Fact]
    public void FinalHead_Sdn_ReplacesFcWithAPooledHeadOnTheLastBlock()
    {
        // resnet8 at 1×28×28: the last block's map is 64×7×7 → SDN k = 1, grid 7: Linear(64·49 → 10).
        var extra = new Dictionary<string, string> { ["final_head"] = "sdn" };
        var model = Create("resnet8", new ModelOptions { Extra = extra, ExitAfter = [], Seed = 3 });
        var keys = model.StateDict().Keys.ToList();
        Assert.DoesNotContain("fc.weight", keys);
        Assert.Contains("final_head.linear.weight", keys);
        Assert.Contains("final_head.alpha", keys);
        Assert.Equal([10, 64 * 49], model.Fc.Weight.Shape);
        var plain = Create("resnet8", new ModelOptions { ExitAfter = [], Seed = 3 });
        Assert.Equal(plain.Exits[0].Macs - 64 * 10 + 64 * 49 * 10, model.Exits[0].Macs);
        Assert.Equal("final_head", model.Exits[0].Name);

        // The final logits are the head applied to the trunk's output.
        model.Eval();
        var x = ModelAssert.Batch(5, 3, model.InputShape);
        using var noGrad = Autograd.NoGrad();
        var trunk = model.Bn1.Forward(model.Conv1.Forward(x)).Relu();
        foreach (var b in model.Blocks)
        {
            trunk = b.Forward(trunk);
        }

        var expected = model.FinalHead!.Forward(trunk).ToArray();
        var got = model.ForwardAll(x).Final.ToArray();
        Assert.Equal(expected, got);
        var e = Assert.Throws<ArgumentException>(() =>
            Create("resnet8", new ModelOptions { Extra = new Dictionary<string, string> { ["final_head"] = "mlp" } }));
        Assert.Contains("gap or sdn", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("depths", "1/x", "positive integers")]
    [InlineData("depths", "0/1/1", "positive integers")]
    [InlineData("widths", "16/32", "same number of stages")]
    [InlineData("stem_width", "8/8", "positive integers")]
    [InlineData("first_stride", "3", "must be 1 or 2")]
    [InlineData("strides", "2/3/1", "must be 1 or 2 per stage")]
    [InlineData("strides", "2/2", "one stride per stage")]
    public void Overrides_Invalid_ThrowWithTheKey(string key, string value, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Create("resnet8", new ModelOptions { Extra = new Dictionary<string, string> { [key] = value } }));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunToExit_OutOfOrder_Throws()
    {
        var model = Create("resnet8", new ModelOptions { InputShape = [1, 8, 8] });
        var s = model.Start(Tensor.Zeros(1, 1, 8, 8));
        Assert.Throws<InvalidOperationException>(() => model.RunToExit(s, 1));
        Assert.Throws<ArgumentException>(() => model.Start(Tensor.Zeros(1, 3, 8, 8)));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ForwardAll_ResNet18At224BatchOne_GivesEveryExit()
    {
        var model = Create("resnet18", new ModelOptions { InputShape = [3, 224, 224], NumClasses = 1000 });
        model.Eval();
        using var _ = Autograd.NoGrad();
        var outs = model.ForwardAll(ModelAssert.Batch(5, 1, model.InputShape));
        Assert.Equal(4, outs.Count);
        Assert.All(outs.Logits, l => Assert.Equal([1, 1000], l.Shape));
        Assert.All(outs.Final.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void BasicBlock_EvalStridedBlock_PairedShortcut_EqualsTheSeparateModuleCalls()
    {
        // resnet_fm's first block (16 → 32, stride 2, 28 → 14) takes the paired conv1 + projection pass in eval mode;
        // its output must be bit-identical to conv1, bn1, ReLU, conv2, bn2, the downsample and the final ReLU one by one.
        var model = Create("resnet_fm", new ModelOptions { NumClasses = 10, InputShape = [1, 28, 28], Seed = 3 });
        var rng = new Rng(5);
        foreach (var bn in model.Modules().OfType<BatchNorm2d>())
        {
            Tensor.Randn(rng, [bn.NumFeatures]).CopyDataTo(bn.RunningMean!);
            Tensor.Rand(rng, [bn.NumFeatures]).Add(0.5).CopyDataTo(bn.RunningVar!);
            Tensor.Randn(rng, [bn.NumFeatures]).CopyDataTo(bn.Weight!);
            Tensor.Randn(rng, [bn.NumFeatures]).CopyDataTo(bn.Bias!);
        }

        model.Eval();
        var block = (BasicBlock)model.Blocks[0];
        Assert.NotNull(block.Downsample);
        var x = Tensor.Randn(rng, [5, 16, 28, 28]);
        using var noGrad = Autograd.NoGrad();
        var y = block.Forward(x);
        Assert.Equal(Engine.Kernels.Gemm.IsSupported(Engine.Kernels.GemmPath.Avx512), block.Conv1.TryForwardNormActWithProjection(
            x, block.Bn1, true, (Conv2d)block.Downsample![0], (BatchNorm2d)block.Downsample[1]) is not null);
        var h = block.Bn1.Forward(block.Conv1.Forward(x)).Relu();
        var expected = block.Bn2.Forward(block.Conv2.Forward(h)).Add(block.Downsample!.Forward(x)).Relu();
        Assert.Equal(expected.Shape, y.Shape);
        Assert.Equal(expected.ToArray(), y.ToArray());
    }
}
