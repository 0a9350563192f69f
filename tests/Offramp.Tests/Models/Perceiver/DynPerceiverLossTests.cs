using Offramp.Engine;
using Offramp.Models;
using Offramp.Models.Perceiver;
using Offramp.Training;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>
/// The official Dynamic Perceiver loss (engine.train_one_epoch_earlyExit, README settings) through the generic
/// <see cref="MultiExitLoss"/>: L = 1·CE(cnn) + 0.5·(CE(att) + CE(early3)) + 1·CE(merge)
/// + 0.5·T²·Σ_{early3, att, cnn} KL(softmax(merge/T) ‖ softmax(exit/T)), T = 1, the teacher detached.
/// </summary>
public class DynPerceiverLossTests
{
    private static MultiExitModel Dp() => ModelRegistry.Create("dp_resnet18_t32", new ModelOptions { WidthMultiplier = 0.25, Seed = 1 });

    [Fact]
    public void ForModel_ModelScheme_GivesTheOfficialWeightsAndDistillation()
    {
        var o = new MultiExitLossOptions { Weights = ExitWeighting.Model }.ForModel(Dp());
        Assert.Equal(ExitWeighting.Explicit(0.5, 0.5, 1, 1), o.Weights);
        Assert.Equal(0.5, o.DistillAlpha);
        Assert.Equal(1.0, o.DistillTemperature);
        Assert.Equal(DistillationMode.Additive, o.DistillMode);
    }

    [Fact]
    public void ForModel_ExplicitWeightsWithoutDistillation_AreKept()
    {
        var given = new MultiExitLossOptions { Weights = ExitWeighting.Explicit(0.5, 0.5, 1, 1), DistillAlpha = 0 };
        Assert.Same(given, given.ForModel(Dp()));
        var custom = new MultiExitLossOptions { Weights = ExitWeighting.Model, DistillAlpha = 0.3, DistillTemperature = 4 }.ForModel(Dp());
        Assert.Equal(0.3, custom.DistillAlpha);
        Assert.Equal(4, custom.DistillTemperature);
    }

    [Fact]
    public void ForModel_ModelWithoutDefaults_UsesEqualWeights()
    {
        var resnet = ModelRegistry.Create("resnet8", new ModelOptions());
        var o = new MultiExitLossOptions { Weights = ExitWeighting.Model }.ForModel(resnet);
        Assert.Equal(ExitWeighting.Equal, o.Weights);
        Assert.Equal(0, o.DistillAlpha);
        Assert.Equal(ExitWeighting.Model, new TrainConfig().ExitWeights);
    }

    [Fact]
    public void Compute_DpOutputs_MatchesTheOfficialFormula()
    {
        var model = Dp();
        model.Eval();
        var x = ModelAssert.Batch(4, 3, model.InputShape);
        int[] labels = [1, 7, 3];
        var outs = model.ForwardAll(x);
        var loss = new MultiExitLoss(new MultiExitLossOptions { Weights = ExitWeighting.Model }.ForModel(model));
        double got = loss.Compute(outs, labels).Total.Item();

        double[][] Rows(Tensor t)
        {
            var a = t.ToArray();
            int k = t.Shape[1];
            return [.. Enumerable.Range(0, t.Shape[0]).Select(i => a.Skip(i * k).Take(k).Select(v => (double)v).ToArray())];
        }

        double[] LogSoftmax(double[] z)
        {
            double m = z.Max(), lse = m + Math.Log(z.Sum(v => Math.Exp(v - m)));
            return [.. z.Select(v => v - lse)];
        }

        double Ce(int e) => Rows(outs[e]).Select((r, i) => -LogSoftmax(r)[labels[i]]).Average();
        double Kl(int e)
        {
            var t = Rows(outs[3]);
            var s = Rows(outs[e]);
            double sum = 0;
            for (int i = 0; i < t.Length; i++)
            {
                var lt = LogSoftmax(t[i]);
                var ls = LogSoftmax(s[i]);
                sum += lt.Select((v, c) => Math.Exp(v) * (v - ls[c])).Sum();
            }

            return sum / t.Length; // batchmean
        }

        double expected = 1.0 * Ce(2) + 0.5 * (Ce(1) + Ce(0)) + 1.0 * Ce(3) + 0.5 * (Kl(0) + Kl(1) + Kl(2));
        Assert.True(Math.Abs(expected - got) < 1e-5 * Math.Max(1, Math.Abs(expected)), $"loss {got} vs {expected}");
    }
}
