using Offramp.Engine;
using Offramp.Inference;
using Offramp.Models;
using Offramp.Tests.Data;

namespace Offramp.Tests.Inference;

/// <summary>From a registered model's <c>ForwardAll</c> to a thresholds file checked against that model.</summary>
public sealed class InferenceEndToEndTests
{
    [Fact]
    public void ForBudget_Resnet8Outputs_ThresholdsFileLoadsForTheModelOnly()
    {
        var model = ModelRegistry.Create("resnet8", new ModelOptions { NumClasses = 5, WidthMultiplier = 0.25, Seed = 3 });
        model.Eval();
        var rng = new Rng(5);
        var batches = new List<ExitOutputs>();
        var labels = new List<int[]>();
        using (Autograd.NoGrad())
        {
            for (int b = 0; b < 3; b++)
            {
                batches.Add(model.ForwardAll(Tensor.Randn(rng, [4, .. model.InputShape])));
                labels.Add([.. Enumerable.Range(0, 4).Select(_ => rng.NextInt(5))]);
            }
        }

        var logits = ExitLogits.FromOutputs(batches, labels, modelName: "resnet8");
        var result = new ThresholdCalibrator(logits).ForBudget(
            Budget.FractionOfFullCost(0.8), ExitDistributionFamily.MsdNet(logits.Exits), logits);
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "resnet8.thresholds.json");
        ThresholdsFile.FromBudget(result).Save(path);

        Assert.Equal(12, logits.Samples);
        Assert.True(result.Calibration.Cost <= 0.8 * model.Exits[^1].Macs);
        Assert.Equal(result.Calibration.Cost, result.Test!.AverageCost);
        Assert.NotNull(ThresholdsFile.Load(path, ModelIdentity.From("resnet8", model)));
        Assert.Throws<ModelMismatchException>(() => ThresholdsFile.Load(path, ModelIdentity.From("resnet20", model)));
    }
}
