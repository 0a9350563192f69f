using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Models;

namespace Offramp.Training;

/// <summary>Evaluates every exit of a model on a data source: no gradients, evaluation mode.</summary>
public static class Evaluator
{
    /// <summary>Top-1 accuracy and mean cross-entropy of every exit over all of <paramref name="source"/>'s epoch 0.</summary>
    /// <remarks>The model is put in evaluation mode (dropout off, BatchNorm on running statistics) and given back in
    /// the mode it had. Each batch runs in its own <see cref="TensorMemory.Step"/> scope.</remarks>
    /// <exception cref="ArgumentException">The source's input shape or class count does not match the model.</exception>
    public static EvalReport Evaluate(MultiExitModel model, IBatchSource source)
    {
        if (source.NumClasses != model.NumClasses)
        {
            throw new ArgumentException($"evaluate: the data has {source.NumClasses} classes, the model {model.NumClasses}");
        }

        int exits = model.Exits.Count;
        var correct = new long[exits];
        var lossSum = new double[exits];
        int samples = 0;
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            using var frozen = FrozenWeights.Freeze(); // the weights stay fixed: each is packed once for the whole pass
            foreach (var batch in source.GetEpoch(0))
            {
                using var step = TensorMemory.Step();
                var outs = model.ForwardAll(batch.Images);
                for (int k = 0; k < exits; k++)
                {
                    correct[k] += CountCorrect(outs[k], batch.Labels);
                    lossSum[k] += F.CrossEntropy(outs[k], batch.Labels, 0.0, Reduction.Sum).Item();
                }

                samples += batch.Labels.Length;
            }
        }
        finally
        {
            model.Train(wasTraining);
        }

        var report = new EvalReport { Samples = samples };
        for (int k = 0; k < exits; k++)
        {
            report.ExitAcc[model.Exits[k].Name] = samples == 0 ? 0 : correct[k] / (double)samples;
            report.ExitLoss[model.Exits[k].Name] = samples == 0 ? 0 : lossSum[k] / samples;
        }

        return report;
    }

    /// <summary>Rows whose arg-max equals the label.</summary>
    internal static int CountCorrect(Tensor logits, int[] labels)
    {
        var pred = logits.ArgMax(1);
        int c = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            c += pred[i] == labels[i] ? 1 : 0;
        }

        return c;
    }
}
