using Offramp.Engine;
using Offramp.Models;
using Offramp.Training;

namespace Offramp.Tests.Training;

public class MultiExitLossTests
{
    private const double Atol = 1e-5, Rtol = 1e-5;

    private static readonly ExitInfo[] ThreeExits = [new(0, "a"), new(1, "b"), new(2, "c")];

    private static ExitOutputs Outputs(ulong seed, int n = 5, int k = 4) =>
        new(ThreeExits, [.. Enumerable.Range(0, 3).Select(e => TrainingTestUtil.Logits(seed + (ulong)e, n, k))]);

    // Reference values in double, straight from the definitions.
    private static double[] LogSoftmaxRow(Tensor logits, int row, double t = 1)
    {
        int k = logits.Shape[1];
        var z = Enumerable.Range(0, k).Select(c => logits[row, c] / t).ToArray();
        double m = z.Max(), lse = m + Math.Log(z.Sum(v => Math.Exp(v - m)));
        return [.. z.Select(v => v - lse)];
    }

    private static double Ce(Tensor logits, int[] labels, double eps = 0)
    {
        int n = labels.Length, k = logits.Shape[1];
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            var lp = LogSoftmaxRow(logits, i);
            s += -(1 - eps) * lp[labels[i]] - eps * lp.Average();
        }

        return s / n;
    }

    private static double SoftCe(Tensor logits, double[,] q)
    {
        int n = logits.Shape[0];
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            var lp = LogSoftmaxRow(logits, i);
            s -= lp.Select((v, c) => q[i, c] * v).Sum();
        }

        return s / n;
    }

    private static double Kd(Tensor student, Tensor teacher, double t)
    {
        int n = student.Shape[0];
        double s = 0;
        for (int i = 0; i < n; i++)
        {
            var ls = LogSoftmaxRow(student, i, t);
            var lt = LogSoftmaxRow(teacher, i, t);
            s += lt.Select((v, c) => Math.Exp(v) * (v - ls[c])).Sum();
        }

        return t * t * s / n;
    }

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Atol + Rtol * Math.Abs(expected), $"{what}: expected {expected}, got {actual} (diff {Math.Abs(expected - actual):E2})");

    [Fact]
    public void Compute_EqualWeights_IsMeanOfExitCrossEntropies()
    {
        var o = Outputs(1);
        int[] y = [0, 3, 1, 2, 2];
        var r = new MultiExitLoss().Compute(o, y);
        var ce = o.Logits.Select(l => Ce(l, y)).ToArray();
        for (int k = 0; k < 3; k++)
        {
            Close(ce[k], r.ExitLosses[k], $"CE of exit {k}");
        }

        Close(ce.Average(), r.Total.Item(), "total");
        Assert.Null(r.DistillLosses);
    }

    [Theory]
    [InlineData("equal", new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 })]
    [InlineData("increasing", new[] { 1 / 6.0, 2 / 6.0, 3 / 6.0 })]
    [InlineData("final2", new[] { 0.25, 0.25, 0.5 })]
    [InlineData("0.5,0.5,1", new[] { 0.5, 0.5, 1.0 })]
    public void Compute_WeightScheme_WeighsExitLosses(string scheme, double[] weights)
    {
        var o = Outputs(2);
        int[] y = [1, 1, 0, 3, 2];
        var w = ExitWeighting.Parse(scheme);
        Assert.Equal(weights.Length, w.For(3).Length);
        for (int k = 0; k < 3; k++)
        {
            Close(weights[k], w.For(3)[k], $"weight {k}");
        }

        var r = new MultiExitLoss(new MultiExitLossOptions { Weights = w }).Compute(o, y);
        Close(o.Logits.Select((l, k) => weights[k] * Ce(l, y)).Sum(), r.Total.Item(), "total");
    }

    [Fact]
    public void ExitWeighting_CountMismatchOrBadText_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ExitWeighting.Parse("1,2").For(3));
        Assert.Contains("3 exits", e.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => ExitWeighting.Parse("heavy"));
        Assert.Throws<FormatException>(() => ExitWeighting.Parse("1,-2"));
        Assert.Equal("0.5,0.5,1", ExitWeighting.Parse(" 0.5, 0.5 ,1").ToString());
    }

    [Fact]
    public void Compute_LabelSmoothing_MatchesSmoothedTargets()
    {
        var o = Outputs(3);
        int[] y = [2, 0, 1, 3, 0];
        var r = new MultiExitLoss(new MultiExitLossOptions { LabelSmoothing = 0.1 }).Compute(o, y);
        for (int k = 0; k < 3; k++)
        {
            Close(Ce(o[k], y, 0.1), r.ExitLosses[k], $"smoothed CE of exit {k}");
        }
    }

    [Fact]
    public void Compute_SoftTargets_ReplaceLabelsAndIgnoreSmoothing()
    {
        var o = Outputs(4);
        var q = new double[5, 4];
        var rng = new Rng(9);
        for (int i = 0; i < 5; i++)
        {
            var row = Enumerable.Range(0, 4).Select(_ => rng.NextDouble() + 0.1).ToArray();
            for (int c = 0; c < 4; c++)
            {
                q[i, c] = row[c] / row.Sum();
            }
        }

        var qt = Tensor.FromArray(q.Cast<double>().Select(v => (float)v).ToArray(), 5, 4);
        var r = new MultiExitLoss(new MultiExitLossOptions { LabelSmoothing = 0.3 }).Compute(o, [0, 0, 0, 0, 0], qt);
        for (int k = 0; k < 3; k++)
        {
            Close(SoftCe(o[k], q), r.ExitLosses[k], $"soft CE of exit {k}");
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(4.0)]
    public void Compute_AdditiveDistillation_AddsAlphaTimesScaledKl(double t)
    {
        var o = Outputs(5);
        int[] y = [3, 2, 1, 0, 0];
        var opts = new MultiExitLossOptions { Weights = ExitWeighting.Explicit(0.5, 0.5, 1), DistillAlpha = 0.4, DistillTemperature = t };
        var r = new MultiExitLoss(opts).Compute(o, y);
        var kd = new[] { Kd(o[0], o[2], t), Kd(o[1], o[2], t) };
        Close(kd[0], r.DistillLosses![0], "KD of exit 0");
        Close(kd[1], r.DistillLosses[1], "KD of exit 1");
        Assert.Equal(0, r.DistillLosses[2]);
        double expected = 0.5 * Ce(o[0], y) + 0.5 * Ce(o[1], y) + Ce(o[2], y) + 0.4 * (kd[0] + kd[1]);
        Close(expected, r.Total.Item(), "total");
    }

    [Fact]
    public void Compute_ConvexDistillation_MixesEarlyExitsOnly()
    {
        var o = Outputs(6);
        int[] y = [1, 2, 3, 0, 1];
        var opts = new MultiExitLossOptions { Weights = ExitWeighting.Increasing, DistillAlpha = 0.3, DistillTemperature = 2, DistillMode = DistillationMode.Convex };
        var r = new MultiExitLoss(opts).Compute(o, y);
        var w = ExitWeighting.Increasing.For(3);
        double expected = w[0] * (0.7 * Ce(o[0], y) + 0.3 * Kd(o[0], o[2], 2))
            + w[1] * (0.7 * Ce(o[1], y) + 0.3 * Kd(o[1], o[2], 2)) + w[2] * Ce(o[2], y);
        Close(expected, r.Total.Item(), "total");
    }

    [Fact]
    public void Compute_Distillation_DoesNotTrainTheTeacher()
    {
        int[] y = [0, 1, 2, 3, 0];
        var withKd = Outputs(7);
        new MultiExitLoss(new MultiExitLossOptions { DistillAlpha = 0.9, DistillTemperature = 3 }).Compute(withKd, y).Total.Backward();
        var plain = Outputs(7);
        new MultiExitLoss().Compute(plain, y).Total.Backward();

        // The final exit's gradient comes from its own CE only; an early exit's gradient changes with distillation.
        Assert.Equal(plain[2].Grad!.ToArray(), withKd[2].Grad!.ToArray());
        Assert.NotEqual(plain[0].Grad!.ToArray(), withKd[0].Grad!.ToArray());
    }

    [Fact]
    public void ComputeRegression_IsWeightedMse()
    {
        var o = Outputs(8, 4, 2);
        var target = Tensor.Randn(new Rng(3), [4, 2]);
        var r = new MultiExitLoss(new MultiExitLossOptions { Task = LossTask.Regression, Weights = ExitWeighting.FinalDouble }).ComputeRegression(o, target);
        var w = ExitWeighting.FinalDouble.For(3);
        double expected = 0;
        for (int k = 0; k < 3; k++)
        {
            double mse = Enumerable.Range(0, 8).Average(i => Math.Pow(o[k].GetFlat(i) - target.GetFlat(i), 2));
            Close(mse, r.ExitLosses[k], $"MSE of exit {k}");
            expected += w[k] * mse;
        }

        Close(expected, r.Total.Item(), "total");
        Assert.Throws<ArgumentException>(() => new MultiExitLoss(new MultiExitLossOptions { Task = LossTask.Regression }).Compute(o, [0, 0, 0, 0]));
    }

    [Fact]
    public void FirstNonFiniteExit_NamesTheBadExit()
    {
        var o = Outputs(9);
        o[1].SetFlat(3, float.NaN);
        var r = new MultiExitLoss().Compute(o, [0, 1, 2, 3, 0]);
        Assert.Equal(1, r.FirstNonFiniteExit());
        Assert.Equal(-1, new MultiExitLoss().Compute(Outputs(9), [0, 1, 2, 3, 0]).FirstNonFiniteExit());
    }

    [Fact]
    public void Options_OutOfRange_Throw()
    {
        Assert.Throws<ArgumentException>(() => new MultiExitLoss(new MultiExitLossOptions { LabelSmoothing = 1 }));
        Assert.Throws<ArgumentException>(() => new MultiExitLoss(new MultiExitLossOptions { DistillAlpha = 1.5 }));
        Assert.Throws<ArgumentException>(() => new MultiExitLoss(new MultiExitLossOptions { DistillTemperature = 0 }));
    }
}
