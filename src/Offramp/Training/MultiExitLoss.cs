using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Models;

namespace Offramp.Training;

/// <summary>
/// The training loss of a multi-exit model: weighted per-exit task losses plus optional self-distillation from the
/// final exit (../shared/DESIGN.md, "Training").
/// </summary>
/// <remarks>
/// <para>For K exits with logits z_k and weights w_k (<see cref="ExitWeighting"/>):</para>
/// <code>
/// CE_k = cross_entropy(z_k, y; ε)            hard labels, label smoothing ε
///      = −Σ_c q_c·log softmax(z_k)_c         soft targets q (mixup/cutmix)
/// KD_k = T²·KL(softmax(z_K.detach()/T) ‖ softmax(z_k/T))   k &lt; K, batch mean
///   Additive: L = Σ_k w_k·CE_k + α·Σ_{k&lt;K} KD_k                   (Dyn-Perceiver code)
///   Convex:   L = Σ_{k&lt;K} w_k·((1 − α)·CE_k + α·KD_k) + w_K·CE_K   (Dyn-Perceiver Eq. 3, α' = 1 − α)
/// </code>
/// <para>The KL is <c>F.kl_div(log_softmax(z_k/T), softmax(z_K/T), reduction='batchmean')</c> as in the official
/// code; the teacher is detached, so distillation trains only the early exits. Dynamic Perceiver's README
/// setting is weights <c>0.5,0.5,1,1</c>, α = 0.5, T = 1, <see cref="DistillationMode.Additive"/>
/// (papers/dynamic-perceiver.md §A.4).</para>
/// <para>Regression: CE_k becomes MSE(z_k, target) (mean over elements) and KD_k = MSE(z_k, z_K.detach()) (no
/// temperature).</para>
/// </remarks>
public sealed class MultiExitLoss
{
    /// <summary>Creates the loss.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public MultiExitLoss(MultiExitLossOptions? options = null)
    {
        Options = options ?? new MultiExitLossOptions();
        Options.Validate();
    }

    /// <summary>The settings.</summary>
    public MultiExitLossOptions Options { get; }

    /// <summary>The loss against class labels, with optional soft targets (which then replace the labels).</summary>
    /// <param name="outputs">Every exit's (N, K) logits.</param>
    /// <param name="labels">N class indices (used when <paramref name="softTargets"/> is null).</param>
    /// <param name="softTargets">(N, K) target probabilities (mixup/cutmix), or null.</param>
    /// <returns>The total (a scalar tensor to call <c>Backward</c> on) and the per-exit terms as numbers. Read the
    /// numbers (they are copied out already) or the total before the step's <see cref="TensorMemory"/> scope ends.</returns>
    /// <exception cref="ArgumentException">The options are for regression, shapes disagree, a label is out of
    /// range, or explicit weights do not match the number of exits.</exception>
    public MultiExitLossResult Compute(ExitOutputs outputs, int[] labels, Tensor? softTargets = null)
    {
        if (Options.Task != LossTask.Classification)
        {
            throw new ArgumentException("MultiExitLoss: this loss is configured for regression; call ComputeRegression");
        }

        int n = outputs.Final.Shape[0];
        if (softTargets is null && labels.Length != n)
        {
            throw new ArgumentException($"MultiExitLoss: {labels.Length} labels for a batch of {n}");
        }

        return Combine(outputs, k => softTargets is null
            ? F.CrossEntropy(outputs[k], labels, Options.LabelSmoothing)
            : F.CrossEntropy(outputs[k], softTargets), Distill);
    }

    /// <summary>The regression loss: MSE of every exit's output against <paramref name="targets"/>.</summary>
    /// <param name="outputs">Every exit's output, each of <paramref name="targets"/>' shape.</param>
    /// <param name="targets">Targets, e.g. (N, D).</param>
    /// <exception cref="ArgumentException">The options are for classification, or shapes disagree.</exception>
    public MultiExitLossResult ComputeRegression(ExitOutputs outputs, Tensor targets)
    {
        if (Options.Task != LossTask.Regression)
        {
            throw new ArgumentException("MultiExitLoss: this loss is configured for classification; call Compute");
        }

        return Combine(outputs, k => F.MseLoss(outputs[k], targets), (student, teacher) => F.MseLoss(student, teacher.Detach()));
    }

    // T²·KL(softmax(teacher/T) ‖ softmax(student/T)), batch mean; the teacher is detached.
    private Tensor Distill(Tensor student, Tensor teacher)
    {
        double t = Options.DistillTemperature;
        var target = F.Softmax(teacher.Detach().Div(t), 1);
        var kl = F.KlDiv(F.LogSoftmax(student.Div(t), 1), target, Reduction.BatchMean);
        return t == 1.0 ? kl : kl.Mul(t * t);
    }

    private MultiExitLossResult Combine(ExitOutputs outputs, Func<int, Tensor> task, Func<Tensor, Tensor, Tensor> distill)
    {
        int exits = outputs.Count;
        var w = Options.Weights.For(exits);
        double alpha = Options.DistillAlpha;
        bool useKd = alpha > 0 && exits > 1;
        var taskValues = new double[exits];
        var kdValues = new double[exits];
        Tensor? total = null;
        for (int k = 0; k < exits; k++)
        {
            var ce = task(k);
            taskValues[k] = ce.Item();
            Tensor term;
            if (useKd && k < exits - 1)
            {
                var kd = distill(outputs[k], outputs.Final);
                kdValues[k] = kd.Item();
                term = Options.DistillMode == DistillationMode.Additive
                    ? ce.Mul(w[k]).Add(kd.Mul(alpha))
                    : ce.Mul(w[k] * (1 - alpha)).Add(kd.Mul(w[k] * alpha));
            }
            else
            {
                term = ce.Mul(w[k]);
            }

            total = total is null ? term : total.Add(term);
        }

        return new MultiExitLossResult(total!, outputs.Exits, taskValues, useKd ? kdValues : null);
    }
}

/// <summary>The value of a <see cref="MultiExitLoss"/> on one batch.</summary>
/// <param name="Total">The scalar loss to differentiate.</param>
/// <param name="Exits">The exits, in order.</param>
/// <param name="ExitLosses">Each exit's task loss (CE or MSE), unweighted.</param>
/// <param name="DistillLosses">Each exit's distillation term T²·KL (0 for the final exit), or null when distillation
/// is off.</param>
public sealed record MultiExitLossResult(Tensor Total, IReadOnlyList<ExitInfo> Exits, double[] ExitLosses, double[]? DistillLosses)
{
    /// <summary>The first exit whose task or distillation loss is NaN or infinite, or -1.</summary>
    public int FirstNonFiniteExit()
    {
        for (int k = 0; k < ExitLosses.Length; k++)
        {
            if (!double.IsFinite(ExitLosses[k]) || (DistillLosses is { } d && !double.IsFinite(d[k])))
            {
                return k;
            }
        }

        return -1;
    }
}
