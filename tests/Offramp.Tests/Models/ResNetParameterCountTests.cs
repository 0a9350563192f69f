using Offramp.Models;
using Offramp.Models.Heads;

namespace Offramp.Tests.Models;

/// <summary>Backbone parameter counts against the published figures (final exit only).</summary>
public class ResNetParameterCountTests
{
    /// <summary>Parameters of a registered model; by default with the final exit only (ExitAfter = []).</summary>
    private static long Count(string name, int[] input, int classes, bool defaultExits = false, string? head = null) =>
        ModelRegistry.Create(name, new ModelOptions
        {
            NumClasses = classes,
            InputShape = input,
            ExitAfter = defaultExits ? null : [],
            Head = head,
        }).ParameterCount();

    // torchvision's figures (torchvision.models ResNet*_Weights.IMAGENET1K_V1.meta: num_params, and _ops = GFLOPS,
    // which are conv + Linear MACs: 1.814, 3.664, 4.089), 3×224×224, 1000 classes, ImageNet stem. Slow: building
    // 12–26M parameters draws every initial value.
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("resnet18", 11_689_512L, 1_814_073_344L)]
    [InlineData("resnet34", 21_797_672L, 3_663_761_408L)]
    [InlineData("resnet50", 25_557_032L, 4_089_184_256L)]
    public void ParameterCountAndMacs_ImageNetFinalExitOnly_MatchTorchvision(string name, long parameters, long macs)
    {
        var model = ModelRegistry.Create(name,
            new ModelOptions { NumClasses = 1000, InputShape = [3, 224, 224], ExitAfter = [] });
        Assert.Equal(parameters, model.ParameterCount());
        Assert.Equal(macs, Assert.Single(model.Exits).Macs);
    }

    /// <summary>
    /// CIFAR ResNet of depth 6n+2 with option-B shortcuts, counted by hand: stem conv 3×3 (c_in→16) + BN; per basic
    /// block 9·cin·c + 9·c·c convs and two BNs (2c each); a projection (cin·c + 2c) where the width changes;
    /// fc 64·K + K.
    /// </summary>
    private static long CifarOptionB(int n, int cin, int k)
    {
        long total = 9L * cin * 16 + 2 * 16;
        int inCh = 16;
        foreach (int c in new[] { 16, 32, 64 })
        {
            for (int i = 0; i < n; i++)
            {
                total += 9L * inCh * c + 2 * c + 9L * c * c + 2 * c;
                if (inCh != c)
                {
                    total += (long)inCh * c + 2 * c;
                }

                inCh = c;
            }
        }

        return total + 64L * k + k;
    }

    // Published (He et al. 2016 Table 6, option A): ResNet-20 0.27M, 32 0.46M, 56 0.85M, 110 1.7M. Option A has no
    // projection parameters; option B adds (16·32 + 64) + (32·64 + 128) = 2,752, e.g. ResNet-20: 269,722 → 272,474.
    [Theory]
    // The option-A column is the exact count of the common option-A reimplementations (e.g. 269,722 for ResNet-20),
    // which round to the paper's figures.
    [InlineData("resnet8", 1, 78_042L, 75_290L)]
    [InlineData("resnet20", 3, 272_474L, 269_722L)]
    [InlineData("resnet32", 5, 466_906L, 464_154L)]
    [InlineData("resnet56", 9, 855_770L, 853_018L)]
    [InlineData("resnet110", 18, 1_730_714L, 1_727_962L)]
    public void ParameterCount_CifarFinalExitOnly_MatchesHandCount(string name, int n, long expected, long optionA)
    {
        Assert.Equal(expected, CifarOptionB(n, 3, 10));
        Assert.Equal(optionA, expected - 2_752);
        Assert.Equal(expected, Count(name, [3, 32, 32], 10));
        Assert.Equal(CifarOptionB(n, 1, 10), Count(name, [1, 28, 28], 10));
    }

    [Fact]
    public void ParameterCount_DefaultLinearExits_AddsOneLinearPerStage()
    {
        // resnet20 at 32×32: exits after stage 1 (16 ch) and stage 2 (32 ch), each C·K + K.
        long backbone = CifarOptionB(3, 3, 10);
        Assert.Equal(backbone + (16 * 10 + 10) + (32 * 10 + 10),
            Count("resnet20", [3, 32, 32], 10, defaultExits: true));
    }

    [Fact]
    public void ParameterCount_SdnExits_FollowThePoolingRule()
    {
        // resnet20 at 32×32: stage 1 map 16ch 32×32 → k = 8, grid 4 → 16·16·K + K + alpha; stage 2 map 32ch 16×16 →
        // k = 4, grid 4 → 32·16·K + K + alpha.
        long backbone = CifarOptionB(3, 3, 10);
        long heads = (16 * 16 * 10 + 10 + 1) + (32 * 16 * 10 + 10 + 1);
        Assert.Equal(backbone + heads, Count("resnet20", [3, 32, 32], 10, defaultExits: true, head: "sdn"));
    }

    [Fact]
    public void ParameterCount_HeadsAlone_MatchTheirFormulas()
    {
        var rng = new Offramp.Engine.Rng(0);
        Assert.Equal(64 * 10 + 10, new LinearExitHead(64, 10, rng).ParameterCount());
        Assert.Equal(8 * 7 * 7 * 10 + 10 + 1, new SdnExitHead(8, 7, 7, 10, rng).ParameterCount()); // k = 1, grid 7
        // s < 4: no pooling, no alpha.
        Assert.Equal(8 * 3 * 3 * 10 + 10, new SdnExitHead(8, 3, 3, 10, rng).ParameterCount());
    }
}
