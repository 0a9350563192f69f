using Offramp.Engine;
using Offramp.Inference;

namespace Offramp.Tests.Inference;

/// <summary>Hand-made and random exit outputs for the inference tests.</summary>
internal static class InferenceData
{
    /// <summary>
    /// Two-class probabilities with chosen confidences: sample n at exit k puts conf[k][n] on class pred[k][n] and the
    /// rest on the other class, so its max-softmax confidence is (double)(float)conf[k][n] (conf ≥ 0.5).
    /// </summary>
    public static ExitLogits Crafted(double[][] conf, int[][] pred, double[] costs, int[]? labels = null, string model = "crafted")
    {
        int e = conf.Length, n = conf[0].Length;
        var values = new float[e * n * 2];
        for (int k = 0; k < e; k++)
        {
            for (int i = 0; i < n; i++)
            {
                int o = ((k * n) + i) * 2;
                values[o + pred[k][i]] = (float)conf[k][i];
                values[o + 1 - pred[k][i]] = 1 - (float)conf[k][i];
            }
        }

        return new ExitLogits(values, e, n, 2, costs, labels, modelName: model, isProbabilities: true);
    }

    /// <summary>All-zero predictions for <paramref name="exits"/> × <paramref name="samples"/>.</summary>
    public static int[][] ZeroPredictions(int exits, int samples) =>
        [.. Enumerable.Range(0, exits).Select(_ => new int[samples])];

    /// <summary>Random logits (normal × a per-exit scale that grows with depth), random labels and cumulative costs
    /// (increments may be 0, so equal costs occur).</summary>
    public static ExitLogits Random(Rng rng, int exits, int samples, int classes)
    {
        var values = new float[exits * samples * classes];
        for (int k = 0; k < exits; k++)
        {
            double scale = 0.5 + (2.0 * k / exits);
            for (int j = 0; j < samples * classes; j++)
            {
                values[(k * samples * classes) + j] = (float)(rng.NextNormal() * scale);
            }
        }

        var costs = new double[exits];
        double c = 0;
        for (int k = 0; k < exits; k++)
        {
            c += rng.NextInt(4) == 0 ? 0 : 1 + rng.NextInt(1000);
            costs[k] = c;
        }

        if (costs[^1] == 0)
        {
            costs[^1] = 1;
        }

        var labels = Enumerable.Range(0, samples).Select(_ => rng.NextInt(classes)).ToArray();
        return new ExitLogits(values, exits, samples, classes, costs, labels, modelName: "random");
    }
}
