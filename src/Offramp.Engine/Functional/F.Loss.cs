using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Cross-entropy of logits against class indices (<c>torch.nn.functional.cross_entropy</c>), fused with the
    /// log-softmax: the backward is g·(softmax − target distribution), without an exp/log round trip.
    /// </summary>
    /// <remarks>
    /// Label smoothing ε as PyTorch: loss = (1 − ε)·(−log p[t]) + ε·mean_k(−log p[k]), i.e. the target
    /// distribution (1 − ε)·onehot(t) + ε/K.
    /// </remarks>
    /// <param name="logits">(N, K) unnormalised scores.</param>
    /// <param name="targets">N class indices in [0, K).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (over N), <see cref="Reduction.Sum"/> or
    /// <see cref="Reduction.None"/> (shape (N)).</param>
    /// <exception cref="ArgumentException">Shapes disagree, a target is out of range (the message names the index
    /// and K), or the reduction is <see cref="Reduction.BatchMean"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    [Differentiable("cross_entropy")]
    public static Tensor CrossEntropy(Tensor logits, int[] targets, double labelSmoothing = 0.0, Reduction reduction = Reduction.Mean)
    {
        var (n, k) = CheckCrossEntropy(logits, labelSmoothing, reduction, "cross_entropy");
        if (targets.Length != n)
        {
            throw new ArgumentException($"cross_entropy: {targets.Length} targets for logits {Shape.Format(logits.Shape)} (N = {n})");
        }

        for (int i = 0; i < n; i++)
        {
            if ((uint)targets[i] >= (uint)k)
            {
                throw new ArgumentException(
                    $"cross_entropy: target {targets[i]} at index {i} is out of range for K = {k} classes (logits {Shape.Format(logits.Shape)})");
            }
        }

        var t = (int[])targets.Clone(); // the backward must see these targets even if the caller reuses the array
        return logits.DType == DType.Float32
            ? CrossEntropyImpl<float>(logits, t, null, labelSmoothing, reduction, n, k)
            : CrossEntropyImpl<double>(logits, t, null, labelSmoothing, reduction, n, k);
    }

    /// <summary>
    /// Cross-entropy of logits against soft targets (class probabilities, as for mixup/cutmix), as PyTorch's
    /// probability-target form: loss = −Σ_k t'_k·log softmax(logits)_k with t' = (1 − ε)·t + ε/K.
    /// Differentiable in both the logits (g·(Σt'·softmax − t')) and the targets (−g·(1 − ε)·log softmax).
    /// </summary>
    /// <param name="logits">(N, K) unnormalised scores.</param>
    /// <param name="softTargets">(N, K) target probabilities (rows normally sum to 1; not checked).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="reduction"><see cref="Reduction.Mean"/> (over N), <see cref="Reduction.Sum"/> or
    /// <see cref="Reduction.None"/> (shape (N)).</param>
    /// <exception cref="ArgumentException">Shapes or types disagree, or the reduction is <see cref="Reduction.BatchMean"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    [Differentiable("cross_entropy_soft")]
    public static Tensor CrossEntropy(Tensor logits, Tensor softTargets, double labelSmoothing = 0.0, Reduction reduction = Reduction.Mean)
    {
        var (n, k) = CheckCrossEntropy(logits, labelSmoothing, reduction, "cross_entropy");
        if (!Shape.Equal(logits.Shape, softTargets.Shape))
        {
            throw new ArgumentException(
                $"cross_entropy: soft targets {Shape.Format(softTargets.Shape)} must have the logits' shape {Shape.Format(logits.Shape)}");
        }

        logits.CheckSameDType(softTargets, "cross_entropy");
        return logits.DType == DType.Float32
            ? CrossEntropyImpl<float>(logits, null, softTargets, labelSmoothing, reduction, n, k)
            : CrossEntropyImpl<double>(logits, null, softTargets, labelSmoothing, reduction, n, k);
    }

    private static (int N, int K) CheckCrossEntropy(Tensor logits, double labelSmoothing, Reduction reduction, string op)
    {
        if (logits.Rank != 2 || logits.Shape[1] == 0)
        {
            throw new ArgumentException($"{op}: logits must be (N, K) with K ≥ 1, got {Shape.Format(logits.Shape)}");
        }

        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"{op}: label smoothing must be in [0, 1], got {labelSmoothing}");
        }

        CheckReduction(reduction, op);
        return (logits.Shape[0], logits.Shape[1]);
    }

    // One of hard (class indices) or soft (N, K) targets is given.
    private static Tensor CrossEntropyImpl<T>(Tensor logits, int[]? hard, Tensor? soft, double labelSmoothing,
        Reduction reduction, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var logp = new T[n * k];
        var loss = Tensor.Empty([n], logits.DType);
        T eps = T.CreateChecked(labelSmoothing);
        Rows.For(n, 6L * k, (r0, r1) =>
        {
            var lp = logp.AsSpan(r0 * k, (r1 - r0) * k);
            Loss.LogSoftmaxRows<T>(logits.Data<T>().Slice(r0 * k, (r1 - r0) * k), lp, r1 - r0, k);
            var lr = loss.Data<T>()[r0..r1];
            if (hard is not null)
            {
                Loss.CrossEntropyForward<T>(lp, hard.AsSpan(r0, r1 - r0), lr, r1 - r0, k, eps);
            }
            else
            {
                Loss.SoftCrossEntropyForward<T>(lp, soft!.Data<T>().Slice(r0 * k, (r1 - r0) * k), lr, r1 - r0, k, eps);
            }
        });

        double divisor = LossDivisor(loss, reduction, n);
        var result = ReduceLoss<T>(loss, reduction, divisor);
        string op = hard is null ? "cross_entropy_soft" : "cross_entropy";
        if (Autograd.ShouldRecord([logits, soft]))
        {
            Autograd.Record(result, op, [logits, soft], g =>
            {
                T[] gs = LossGrad<T>(g, reduction, divisor);
                var dl = logits.RequiresGrad ? Tensor.Empty(logits.Shape, logits.DType) : null;
                var dt = soft is { RequiresGrad: true } ? Tensor.Empty(soft.Shape, soft.DType) : null;
                Rows.For(n, 4L * k, (r0, r1) =>
                {
                    ReadOnlySpan<T> gr = gs.Length == 1 ? gs : gs.AsSpan(r0, r1 - r0);
                    var lp = logp.AsSpan(r0 * k, (r1 - r0) * k);
                    Span<T> dlr = dl is null ? [] : dl.Data<T>().Slice(r0 * k, (r1 - r0) * k);
                    if (hard is not null)
                    {
                        Loss.CrossEntropyBackward<T>(lp, hard.AsSpan(r0, r1 - r0), gr, dlr, r1 - r0, k, eps);
                    }
                    else
                    {
                        Span<T> dtr = dt is null ? [] : dt.Data<T>().Slice(r0 * k, (r1 - r0) * k);
                        Loss.SoftCrossEntropyBackward<T>(lp, soft!.Data<T>().Slice(r0 * k, (r1 - r0) * k), gr, dlr, dtr, r1 - r0, k, eps);
                    }
                });

                return [dl, dt];
            });
        }

        return result;
    }

    private static void CheckReduction(Reduction reduction, string op)
    {
        if (reduction == Reduction.BatchMean && op != "kl_div")
        {
            throw new ArgumentException($"{op}: reduction BatchMean is only defined for kl_div; use Mean, Sum or None");
        }

        if (!Enum.IsDefined(reduction))
        {
            throw new ArgumentException($"{op}: unknown reduction {reduction}");
        }
    }

    /// <summary>What the pointwise sum is divided by: numel for Mean, <paramref name="batch"/> for BatchMean, else 1.</summary>
    private static double LossDivisor(Tensor pointwise, Reduction reduction, int batch) => reduction switch
    {
        Reduction.Mean => pointwise.Numel,
        Reduction.BatchMean => batch,
        _ => 1,
    };

    /// <summary>Reduces a pointwise loss: None returns it; Sum, Mean and BatchMean give a scalar Σ/divisor.</summary>
    private static Tensor ReduceLoss<T>(Tensor pointwise, Reduction reduction, double divisor)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduction == Reduction.None)
        {
            return pointwise;
        }

        T sum = TensorPrimitives.Sum<T>(pointwise.Data<T>());
        var r = Tensor.Empty([], pointwise.DType);
        r.Data<T>()[0] = sum / T.CreateChecked(divisor);
        return r;
    }

    /// <summary>
    /// The upstream gradient per pointwise loss element: <paramref name="g"/>'s values for None, else the one value
    /// g/divisor shared by every element (length 1, the loss kernels' broadcast convention).
    /// </summary>
    private static T[] LossGrad<T>(Tensor g, Reduction reduction, double divisor)
        where T : unmanaged, IFloatingPointIeee754<T>
        => reduction == Reduction.None ? g.Data<T>().ToArray() : [g.Data<T>()[0] / T.CreateChecked(divisor)];
}
