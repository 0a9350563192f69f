using Offramp.Engine;
using Offramp.Models;

namespace Offramp.Inference;

/// <summary>Runs a model's <see cref="MultiExitModel.ForwardAll"/> over a data set and keeps every exit's logits as
/// <see cref="ExitLogits"/> (what calibration, sweeps and reports need).</summary>
public static class ExitLogitsCollector
{
    /// <summary>Every exit's logits for every sample of <paramref name="batches"/>, in order, with the labels and the
    /// exits' MACs as costs.</summary>
    /// <param name="model">The trained model (put in evaluation mode for the run; its mode is restored).</param>
    /// <param name="batches">(N, C, H, W) inputs and their labels (null for unlabelled data: then every batch must be).</param>
    /// <param name="modelName">The model's name, for the identity thresholds files are bound to.</param>
    /// <param name="progress">Called with the samples done after each batch; null for none.</param>
    /// <exception cref="ArgumentException">No batch, labels given for some batches only, or the exits' MACs were
    /// never counted.</exception>
    public static ExitLogits Collect(
        MultiExitModel model, IEnumerable<(Tensor Images, int[]? Labels)> batches, string modelName, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        var outputs = new List<ExitOutputs>();
        var labels = new List<int[]>();
        int withLabels = 0, done = 0;
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            using var frozen = FrozenWeights.Freeze(); // the weights stay fixed: each is packed once for the whole pass
            foreach (var (images, batchLabels) in batches)
            {
                using var step = TensorMemory.Step();
                var outs = model.ForwardAll(images);
                Tensor[] kept;
                using (TensorMemory.Persistent())
                {
                    kept = [.. outs.Logits.Select(l => l.CloneData())];
                }

                outputs.Add(new ExitOutputs(outs.Exits, kept));
                labels.Add(batchLabels ?? []);
                withLabels += batchLabels is null ? 0 : 1;
                done += images.Shape[0];
                progress?.Invoke(done);
            }
        }
        finally
        {
            model.Train(wasTraining);
        }

        if (withLabels != 0 && withLabels != outputs.Count)
        {
            throw new ArgumentException($"ExitLogitsCollector: {withLabels} of {outputs.Count} batches have labels; give all or none", nameof(batches));
        }

        return ExitLogits.FromOutputs(outputs, withLabels == 0 ? null : labels, modelName: modelName);
    }
}
