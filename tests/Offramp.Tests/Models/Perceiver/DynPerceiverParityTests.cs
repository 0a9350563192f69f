using Offramp.Engine;
using Offramp.Engine.IO;
using Offramp.Models.Perceiver;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>
/// Parity with the PyTorch reference (tools/dp_reference.py, official module names): a checkpoint converted by
/// tools/convert_dp_checkpoint.py loads strictly, and all four exits' logits match (rtol 1e-4), through
/// <c>ForwardAll</c> and through the staged path with batch compaction between exits.
/// </summary>
public class DynPerceiverParityTests
{
    public static TheoryData<string> Cases() => [.. DpFixture.Names];

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAll_ConvertedReferenceWeights_MatchesPyTorchOnEveryExit(string name)
    {
        var f = DpFixture.Load(name);
        var model = f.Build();
        var result = StateDictFiles.Load(model, f.ParamsPath, strict: true);
        Assert.Empty(result.MissingKeys);
        model.Eval();
        using var _ = Autograd.NoGrad();
        var outs = model.ForwardAll(f.Input);
        for (int k = 0; k < 4; k++)
        {
            ModelAssert.Close(f.Logits(k), outs[k], DpFixture.Atol, DpFixture.Rtol, $"{name} exit {k} ({model.Exits[k].Name})");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RunToExit_KeepBetweenExits_MatchesPyTorchOnKeptRows(string name)
    {
        var f = DpFixture.Load(name);
        var model = f.Build();
        StateDictFiles.Load(model, f.ParamsPath, strict: true);
        model.Eval();
        using var _ = Autograd.NoGrad();
        var state = model.Start(f.Input);
        int[] alive = [0, 1, 2, 3, 4];
        int[][] keeps = [[0, 2, 3, 4], [1, 2, 3], [0, 2]];
        for (int k = 0; k < 4; k++)
        {
            var logits = model.RunToExit(state, k);
            ModelAssert.Close(f.Logits(k).IndexSelect(0, alive), logits, DpFixture.Atol, DpFixture.Rtol,
                $"{name} staged exit {k} rows [{string.Join(", ", alive)}]");
            if (k < 3)
            {
                state = state.Keep(keeps[k]);
                alive = [.. keeps[k].Select(i => alive[i])];
            }
        }
    }

    [Fact]
    public void StateDict_AllFlagsOn_HasTheOfficialKeys()
    {
        var f = DpFixture.Load("resnet10_all");
        var keys = f.Build().StateDict().Keys.ToHashSet(StringComparer.Ordinal);
        string[] expected =
        [
            "latent", "cnn_stem.0.weight", "cnn_stem.1.running_var", "cnn_body_stage1.0.conv1.weight",
            "cnn_body_stage2.0.downsample.0.weight", "classifier_cnn.weight", "dwc1_x2z.weight", "dwc4_x2z.bias",
            "cross_att1_x2z.cross_attn.q_norm.weight", "cross_att1_x2z.cross_attn.attention.relative_position_bias",
            "cross_att2_x2z.cross_attn.kv_norm.bias", "cross_att2_z2x.cross_attn.attention.q_proj.weight",
            "cross_att4_z2x.mlp.layernorm.weight", "self_att3.8.self_attn.attention.o_proj.bias",
            "self_att4.2.mlp.fc2.weight", "last_cross_att_z2x.cross_attn.attention.v_proj.weight",
            "early_classifier3.weight", "isc3.0.weight", "isc3.1.running_mean", "classifier_att.weight",
            "isc4.1.num_batches_tracked", "classifier_merge.0.weight", "classifier_merge.1.bias",
            "token_expander.2.1.weight", "token_mixer.0.0.weight", "token_mixer.2.1.bias",
        ];
        Assert.All(expected, k => Assert.Contains(k, keys));
        Assert.DoesNotContain("cross_att1_z2x.mlp.fc1.weight", keys);
    }
}
