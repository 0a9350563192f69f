using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Nn;
using Offramp.Models;
using Offramp.Models.Perceiver;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>The Dynamic Perceiver building blocks against naive computations and their documented shapes.</summary>
public class PerceiverBlockTests
{
    [Fact]
    public void MultiHeadAttention_TwoHeadsWithKeyBias_MatchesNaiveLoops()
    {
        var rng = new Rng(3);
        var mha = new MultiHeadAttention(2, 6, 5, rng, qkChannels: 4, vChannels: 6, outChannels: 3, rpbTokens: 7);
        Init.Normal(mha.RelativePositionBias!, rng, 0, 0.5);
        var xq = Tensor.Randn(rng, [2, 3, 6]);
        var xkv = Tensor.Randn(rng, [2, 7, 5]);
        var y = mha.Forward(xq, xkv);
        Assert.Equal([2, 3, 3], y.Shape);

        double[,] Project(float[] x, int row, int inF, Linear lin, int rows)
        {
            var w = lin.Weight.ToArray();
            var r = new double[rows, lin.OutFeatures];
            for (int i = 0; i < rows; i++)
            {
                for (int o = 0; o < lin.OutFeatures; o++)
                {
                    double s = 0;
                    for (int c = 0; c < inF; c++)
                    {
                        s += x[((row * rows) + i) * inF + c] * w[o * inF + c];
                    }

                    r[i, o] = s;
                }
            }

            return r;
        }

        float[] q = xq.ToArray(), kv = xkv.ToArray(), bias = mha.RelativePositionBias!.ToArray(), got = y.ToArray();
        float[] ow = mha.OProj.Weight.ToArray(), ob = mha.OProj.Bias!.ToArray();
        for (int b = 0; b < 2; b++)
        {
            var qp = Project(q, b, 6, mha.QProj, 3);
            var kp = Project(kv, b, 5, mha.KProj, 7);
            var vp = Project(kv, b, 5, mha.VProj, 7);
            for (int j = 0; j < 7; j++)
            {
                for (int c = 0; c < 4; c++)
                {
                    kp[j, c] += bias[j * 4 + c];
                }
            }

            for (int i = 0; i < 3; i++)
            {
                var o = new double[6];
                for (int h = 0; h < 2; h++)
                {
                    var logits = new double[7];
                    for (int j = 0; j < 7; j++)
                    {
                        for (int c = 0; c < 2; c++)
                        {
                            logits[j] += qp[i, h * 2 + c] * kp[j, h * 2 + c] / Math.Sqrt(2);
                        }
                    }

                    double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
                    for (int j = 0; j < 7; j++)
                    {
                        for (int c = 0; c < 3; c++)
                        {
                            o[h * 3 + c] += Math.Exp(logits[j] - max) / sum * vp[j, h * 3 + c];
                        }
                    }
                }

                for (int oc = 0; oc < 3; oc++)
                {
                    double e = ob[oc];
                    for (int c = 0; c < 6; c++)
                    {
                        e += o[c] * ow[oc * 6 + c];
                    }

                    Assert.True(Math.Abs(e - got[(b * 3 + i) * 3 + oc]) < 1e-5, $"b{b} i{i} o{oc}: {got[(b * 3 + i) * 3 + oc]} vs {e}");
                }
            }
        }
    }

    [Fact]
    public void MultiHeadAttention_KeyBias_StartsAtZeroWithKeyShape()
    {
        var mha = new MultiHeadAttention(1, 8, 8, new Rng(0), rpbTokens: 49);
        Assert.Equal([1, 49, 8], mha.RelativePositionBias!.Shape);
        Assert.All(mha.RelativePositionBias.ToArray(), v => Assert.Equal(0f, v));
        Assert.Null(new MultiHeadAttention(1, 8, 8, new Rng(0)).RelativePositionBias);
    }

    [Fact]
    public void MultiHeadAttention_KeyCountDiffersFromBias_ThrowsNamingShapes()
    {
        var mha = new MultiHeadAttention(1, 4, 4, new Rng(0), rpbTokens: 49);
        var e = Assert.Throws<ArgumentException>(() => mha.Forward(Tensor.Zeros([1, 2, 4]), Tensor.Zeros([1, 16, 4])));
        Assert.Contains("(1, 16, 4)", e.Message);
        Assert.Contains("49", e.Message);
    }

    [Fact]
    public void MultiHeadAttention_WidthNotDivisibleByHeads_Throws() =>
        Assert.Throws<ArgumentException>(() => new MultiHeadAttention(3, 8, 8, new Rng(0)));

    [Fact]
    public void CrossAttentionLayer_ZeroedOutputProjections_IsTheIdentityOnQueries()
    {
        var layer = new CrossAttentionLayer(1, 6, 4, new Rng(1));
        foreach (var t in new[] { layer.CrossAttn.Attention.OProj.Weight, layer.CrossAttn.Attention.OProj.Bias!, layer.Mlp.Fc2.Weight, layer.Mlp.Fc2.Bias! })
        {
            t.Fill(0);
        }

        var xq = Tensor.Randn(new Rng(2), [2, 5, 6]);
        var y = layer.Forward(xq, Tensor.Randn(new Rng(3), [2, 9, 4]));
        ModelAssert.Close(xq, y, 0, 0, "residual");
    }

    [Fact]
    public void TokenMixer_HalvesTokensAndExpandsChannels_AlongTheRightAxes()
    {
        var rng = new Rng(4);
        var (mix, expand) = TokenMixer.Create(16, 8, 6, 10, rng);
        var mixer = new TokenMixer(mix, expand);
        var z = Tensor.Randn(rng, [3, 16, 6]);
        var y = mixer.Forward(z);
        Assert.Equal([3, 8, 10], y.Shape);

        // Same as the explicit composition: transpose, LayerNorm(L), Linear(L→L'), transpose, LayerNorm(C), Linear.
        var expected = expand.Forward(mix.Forward(z.Permute(0, 2, 1)).Permute(0, 2, 1));
        ModelAssert.Close(expected, y, 1e-6, 1e-6, "token mixer");
        Assert.Equal((6L * 16 * 8) + (16L * 6 * 10), mixer.Macs());
    }

    [Fact]
    public void Z2X_QueryKeyWidth_IsAnEighthOfTheFeatureWidth()
    {
        var layer = Z2X.CreateLayer(64, 32, new Rng(0));
        Assert.Equal(8, layer.CrossAttn.Attention.QkChannels);
        Assert.Equal(8, layer.CrossAttn.Attention.VChannels);
        Assert.Equal(64, layer.CrossAttn.Attention.OutChannels);
        Assert.Null(layer.CrossAttn.Attention.RelativePositionBias);
        var x = Tensor.Randn(new Rng(1), [2, 64, 3, 5]);
        Assert.Equal([2, 64, 3, 5], new Z2X(layer).Forward(x, Tensor.Randn(new Rng(2), [2, 4, 32])).Shape);
        Assert.Throws<ArgumentException>(() => Z2X.CreateLayer(4, 4, new Rng(0)));
    }

    [Fact]
    public void X2Z_WithPooling_AttendsToFortyNineKeys()
    {
        var rng = new Rng(5);
        var layer = new CrossAttentionLayer(1, 8, 8, rng, rpbTokens: 49);
        var x2z = new X2Z(new Conv2d(8, 8, 7, rng, padding: 3, groups: 8), new AdaptiveAvgPool2d(7, 7), layer);
        Assert.Equal(49, x2z.KeyTokens(28, 28));
        var z = x2z.Forward(Tensor.Randn(rng, [2, 16, 8]), Tensor.Randn(rng, [2, 8, 14, 14]));
        Assert.Equal([2, 16, 8], z.Shape);
        Assert.Equal(196, new X2Z(null, null, layer).KeyTokens(14, 14));
    }

    [Fact]
    public void X2Z_MapAlreadySevenBySeven_SkipsThePoolWithTheSameResultAndGradient()
    {
        // The pool's pass is skipped on a 7×7 map; the output and the gradients equal those through an explicit pool.
        var rng = new Rng(6);
        var layer = new CrossAttentionLayer(1, 8, 8, rng, rpbTokens: 49);
        var dwc = new Conv2d(8, 8, 7, rng, padding: 3, groups: 8);
        var x2z = new X2Z(dwc, new AdaptiveAvgPool2d(7, 7), layer);
        var z = Tensor.Randn(rng, [2, 16, 8]);
        var x = Tensor.Randn(rng, [2, 8, 7, 7]).WithGrad();
        var got = x2z.Forward(z, x);
        got.Sum().Backward();
        var gx = x.Grad!.ToArray();
        var gw = dwc.Weight.Grad!.ToArray();

        x.Grad = null;
        dwc.Weight.Grad = null;
        var explicitPool = F.AdaptiveAvgPool2d(x.Add(dwc.Forward(x)), 7, 7);
        var expected = layer.Forward(z, FeatureTokens.ToTokens(explicitPool));
        expected.Sum().Backward();
        Assert.Equal(expected.ToArray(), got.ToArray());
        Assert.Equal(x.Grad!.ToArray(), gx);
        Assert.Equal(dwc.Weight.Grad!.ToArray(), gw);
    }

    [Fact]
    public void Config_ExtraFlags_ParseOfficialNames()
    {
        var c = new DynPerceiverConfig().WithOverrides(new Dictionary<string, string>
        {
            ["with_last_CA"] = "false", ["depth_factor"] = "1,1,1,3", ["num_latents"] = "64", ["with_isc"] = "False",
            ["stem"] = "small",
        });
        Assert.False(c.WithLastCA);
        Assert.False(c.WithIsc);
        Assert.True(c.WithZ2X);
        Assert.Equal([3, 3, 9, 9], c.SaLayers);
        Assert.Equal([64, 32, 16, 8], c.Tokens);
        var e = Assert.Throws<ArgumentException>(() => new DynPerceiverConfig().WithOverrides(new Dictionary<string, string> { ["with_z2x"] = "nope" }));
        Assert.Contains("with_z2x", e.Message);
        Assert.Throws<ArgumentException>(() => (new DynPerceiverConfig() with { NumLatents = 12 }).Validate());
    }

    [Fact]
    public void Registry_AblationFlags_RemoveTheirModules()
    {
        var full = ModelRegistry.Create("dp_resnet18_t32", new ModelOptions { WidthMultiplier = 0.25 });
        var ablated = ModelRegistry.Create("dp_resnet18_t32", new ModelOptions
        {
            WidthMultiplier = 0.25,
            Extra = new Dictionary<string, string> { ["with_z2x"] = "false", ["with_dwc"] = "false", ["with_last_CA"] = "false" },
        });
        var fullKeys = full.StateDict().Keys.ToList();
        var keys = ablated.StateDict().Keys.ToList();
        Assert.Contains(fullKeys, k => k.StartsWith("cross_att3_z2x.", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.Contains("_z2x.", StringComparison.Ordinal));
        Assert.DoesNotContain(keys, k => k.StartsWith("dwc", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("cross_att3_x2z.", StringComparison.Ordinal));
        Assert.True(ablated.Exits[3].Macs < full.Exits[3].Macs);
    }

    [Fact]
    public void Registry_ExitAfter_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("dp_resnet18_t32", new ModelOptions { ExitAfter = [1] }));
        Assert.Contains("early3", e.Message);
    }
}
