using Offramp.Engine;
using Offramp.Models;
using Offramp.Models.Perceiver;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>
/// The staged order of the paper (§3.3): exit 1 needs the CNN only up to stage 2, exit 2 up to stage 3, and the
/// forward knowledge transfer passes gradients back into the earlier exit (no detach).
/// </summary>
public class DynPerceiverStagedTests
{
    private static DynamicPerceiver Model() =>
        (DynamicPerceiver)ModelRegistry.Create("dp_resnet18_t32", new ModelOptions { WidthMultiplier = 0.25, Seed = 2 });

    [Fact]
    public void RunToExit_EachExit_HasRunTheCnnOnlyAsFarAsThePaperSays()
    {
        var model = Model();
        model.Eval();
        using var _ = Autograd.NoGrad();
        var state = (DynPerceiverState)model.Start(ModelAssert.Batch(1, 2, model.InputShape));
        var shapes = model.Backbone.Shapes;
        Assert.Equal([2, shapes[0].C, shapes[0].H, shapes[0].W], state.X.Shape);
        Assert.Equal([2, 32, 16], state.Z.Shape);

        // After exit 1: CNN stages 1-2 (X2 plus Z2X_3, same shape), latent of stage 3 (L/4 tokens, C_3).
        model.RunToExit(state, 0);
        Assert.Equal([2, shapes[2].C, shapes[2].H, shapes[2].W], state.X.Shape);
        Assert.Equal([2, 8, model.Backbone.StageInChannels[2]], state.Z.Shape);
        Assert.Null(state.ZMean);

        model.RunToExit(state, 1);
        Assert.Equal([2, shapes[3].C, shapes[3].H, shapes[3].W], state.X.Shape);
        Assert.Equal([2, model.Backbone.StageInChannels[3]], state.ZMean!.Shape);

        model.RunToExit(state, 2);
        Assert.Equal([2, model.Backbone.OutChannels, shapes[4].H, shapes[4].W], state.X.Shape);
        Assert.Equal([2, model.Backbone.OutChannels], state.XMean!.Shape);
        Assert.Equal([2, 10], model.RunToExit(state, 3).Shape);
    }

    [Fact]
    public void ResNetOverrides_WidthsDepthsAndStrides_BuildThatBackbone()
    {
        // The ResNet options of the plain ResNets apply to the DP's backbone: stem 16 at 28², stages 32@14 (stride 2),
        // 64@7 (stride 2), 96@7 and 96@7 (stride 1), one block each; the staged path still equals ForwardAll.
        var extra = new Dictionary<string, string>
        {
            ["widths"] = "32/64/96/96", ["stem_width"] = "16", ["depths"] = "1/1/1/1", ["strides"] = "2/2/1/1",
            ["num_latents"] = "16", ["sa_widening_factor"] = "1",
        };
        var model = (DynamicPerceiver)ModelRegistry.Create("dp_resnet18_t32", new ModelOptions { Extra = extra, Seed = 4 });
        Assert.Equal([(16, 28, 28), (32, 14, 14), (64, 7, 7), (96, 7, 7), (96, 7, 7)], model.Backbone.Shapes);
        Assert.Equal([16, 32, 64, 96], model.Backbone.StageInChannels);
        Assert.Equal(16, model.Config.NumLatents);

        model.Eval();
        using var _ = Autograd.NoGrad();
        var x = ModelAssert.Batch(3, 3, model.InputShape);
        var all = model.ForwardAll(x);
        var state = model.Start(x);
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(all[k].ToArray(), model.RunToExit(state, k).ToArray());
        }

        var bad = new Dictionary<string, string> { ["strides"] = "2/2/1" };
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("dp_resnet18_t32", new ModelOptions { Extra = bad }));
        Assert.Contains("one stride per stage", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardKnowledgeTransfer_AttLoss_ReachesTheEarlyClassifier()
    {
        var model = Model();
        var outs = model.ForwardAll(ModelAssert.Batch(3, 4, model.InputShape));
        outs[1].Sum().Backward();
        Assert.NotNull(model.EarlyClassifier3.Weight.Grad);
        Assert.Contains(model.EarlyClassifier3.Weight.Grad!.ToArray(), g => g != 0);
        Assert.Null(model.ClassifierMerge.Parameters().First().Grad);
    }

    [Fact]
    public void WithoutIsc_AttLoss_DoesNotReachTheEarlyClassifier()
    {
        var model = (DynamicPerceiver)ModelRegistry.Create("dp_resnet18_t32", new ModelOptions
        {
            WidthMultiplier = 0.25, Seed = 2, Extra = new Dictionary<string, string> { ["with_isc"] = "false" },
        });
        Assert.Null(model.Isc3);
        Assert.Equal(model.Backbone.StageInChannels[3], model.ClassifierAtt.InFeatures);
        var outs = model.ForwardAll(ModelAssert.Batch(3, 4, model.InputShape));
        outs[1].Sum().Backward();
        Assert.Null(model.EarlyClassifier3.Weight.Grad);
    }
}
