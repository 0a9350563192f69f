using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) over a batch, producing soft targets, with the semantics of
/// timm's <c>Mixup</c> class in <c>mode="batch"</c>: one λ per batch, and sample i is mixed with sample N−1−i (the
/// batch reversed).
/// </summary>
/// <remarks>
/// <para>Draw order (timm <c>_params_per_batch</c>): a uniform draw decides whether the batch is mixed at all
/// (below <see cref="Probability"/>); when both α are positive a second uniform draw picks CutMix (below
/// <see cref="SwitchProbability"/>); then λ ~ Beta(α, α) of the chosen method. CutMix then draws the box centre
/// (row, then column) uniformly over the image (timm <c>rand_bbox</c>): the box has sides
/// <c>⌊H·√(1−λ)⌋</c>, <c>⌊W·√(1−λ)⌋</c>, half of each (rounded down) on either side of the centre,
/// clipped to the image; with <see cref="CorrectLambda"/> λ becomes 1 − box area / image area.</para>
/// <para>Targets (timm <c>mixup_target</c>): smoothed one-hot rows with off value ε/K and on value 1 − ε + ε/K,
/// mixed as λ·y + (1 − λ)·y_reversed. Unlike timm, an odd batch size is accepted: its middle sample is paired
/// with itself and stays unchanged.</para>
/// </remarks>
public sealed class Mixup
{
    /// <summary>Creates the transform; the defaults are timm's.</summary>
    /// <param name="numClasses">K, the width of the soft targets.</param>
    /// <param name="mixupAlpha">α of Mixup's Beta(α, α); 0 disables Mixup.</param>
    /// <param name="cutmixAlpha">α of CutMix's Beta(α, α); 0 disables CutMix.</param>
    /// <param name="probability">Chance of mixing a batch at all, in [0, 1].</param>
    /// <param name="switchProbability">Chance of CutMix rather than Mixup when both are enabled, in [0, 1].</param>
    /// <param name="labelSmoothing">ε of label smoothing, in [0, 1).</param>
    /// <param name="correctLambda">Recompute λ from the clipped CutMix box area.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public Mixup(
        int numClasses,
        double mixupAlpha = 1.0,
        double cutmixAlpha = 0.0,
        double probability = 1.0,
        double switchProbability = 0.5,
        double labelSmoothing = 0.1,
        bool correctLambda = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);
        if (!(mixupAlpha >= 0 && double.IsFinite(mixupAlpha)) || !(cutmixAlpha >= 0 && double.IsFinite(cutmixAlpha)))
        {
            throw new ArgumentOutOfRangeException(
                nameof(mixupAlpha), $"Mixup: alphas ({mixupAlpha}, {cutmixAlpha}) must be finite and ≥ 0");
        }

        if (!(probability >= 0 && probability <= 1) || !(switchProbability >= 0 && switchProbability <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(probability), $"Mixup: probabilities ({probability}, {switchProbability}) must be in [0, 1]");
        }

        if (!(labelSmoothing >= 0 && labelSmoothing < 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(labelSmoothing), labelSmoothing, "Mixup: label smoothing must be in [0, 1)");
        }

        NumClasses = numClasses;
        MixupAlpha = mixupAlpha;
        CutmixAlpha = cutmixAlpha;
        Probability = probability;
        SwitchProbability = switchProbability;
        LabelSmoothing = labelSmoothing;
        CorrectLambda = correctLambda;
    }

    /// <summary>K, the width of the soft targets.</summary>
    public int NumClasses { get; }

    /// <summary>α of Mixup (0: off).</summary>
    public double MixupAlpha { get; }

    /// <summary>α of CutMix (0: off).</summary>
    public double CutmixAlpha { get; }

    /// <summary>Chance of mixing a batch.</summary>
    public double Probability { get; }

    /// <summary>Chance of CutMix rather than Mixup when both are on.</summary>
    public double SwitchProbability { get; }

    /// <summary>Label smoothing ε.</summary>
    public double LabelSmoothing { get; }

    /// <summary>Whether CutMix's λ is corrected to the clipped box area.</summary>
    public bool CorrectLambda { get; }

    /// <summary>Mixes the batch in place and returns it with its soft targets.</summary>
    /// <param name="images">Float32 (N, C, H, W) batch; modified in place.</param>
    /// <param name="labels">N hard labels in [0, K).</param>
    /// <param name="rng">Source of every random choice.</param>
    /// <returns>The images, (N, K) soft targets, λ and the method used.</returns>
    /// <exception cref="ArgumentException">The batch is not float32 rank 4, the label count is not N, or a label is
    /// outside [0, K).</exception>
    public MixupResult Apply(Tensor images, ReadOnlySpan<int> labels, Rng rng)
    {
        var s = BatchShape.Of(images, "Mixup");
        if (labels.Length != s.N)
        {
            throw new ArgumentException(
                $"Mixup: {labels.Length} labels for batch {Shape.Format(images.Shape)}", nameof(labels));
        }

        double lambda = 1.0;
        bool cutmix = false;
        bool enabled = MixupAlpha > 0 || CutmixAlpha > 0;
        if (enabled && rng.NextDouble() < Probability)
        {
            if (MixupAlpha > 0 && CutmixAlpha > 0)
            {
                cutmix = rng.NextDouble() < SwitchProbability;
                lambda = rng.NextBeta(cutmix ? CutmixAlpha : MixupAlpha, cutmix ? CutmixAlpha : MixupAlpha);
            }
            else if (MixupAlpha > 0)
            {
                lambda = rng.NextBeta(MixupAlpha, MixupAlpha);
            }
            else
            {
                cutmix = true;
                lambda = rng.NextBeta(CutmixAlpha, CutmixAlpha);
            }
        }

        if (lambda != 1.0)
        {
            if (cutmix)
            {
                var (top, bottom, left, right) = CutMixBox(s.H, s.W, lambda, rng);
                if (CorrectLambda)
                {
                    lambda = 1.0 - (double)(bottom - top) * (right - left) / ((double)s.H * s.W);
                }

                PasteReversed(images.Span, s, top, bottom, left, right);
            }
            else
            {
                BlendReversed(images.Span, s, (float)lambda);
            }
        }

        var targets = SoftTargets(labels, NumClasses, lambda, LabelSmoothing);
        return new MixupResult(images, targets, lambda, cutmix);
    }

    /// <summary>
    /// timm's <c>mixup_target</c>: λ·smooth(one_hot(y)) + (1−λ)·smooth(one_hot(reversed y)), shape (N, K).
    /// </summary>
    /// <exception cref="ArgumentException">A label is outside [0, K).</exception>
    internal static Tensor SoftTargets(ReadOnlySpan<int> labels, int k, double lambda, double smoothing)
    {
        int n = labels.Length;
        foreach (int y in labels)
        {
            if ((uint)y >= (uint)k)
            {
                throw new ArgumentException($"Mixup: label {y} outside [0, {k})", nameof(labels));
            }
        }

        double off = smoothing / k;
        double on = 1.0 - smoothing + off;
        var t = Tensor.Empty([n, k]);
        var d = t.Span;
        for (int i = 0; i < n; i++)
        {
            var row = d.Slice(i * k, k);
            row.Fill((float)off);
            int a = labels[i];
            int b = labels[n - 1 - i];
            // Own class λ·on + (1−λ)·off, partner's class λ·off + (1−λ)·on; λ·on + (1−λ)·on = on when equal.
            row[a] = (float)(lambda * on + (1 - lambda) * (a == b ? on : off));
            if (b != a)
            {
                row[b] = (float)(lambda * off + (1 - lambda) * on);
            }
        }

        return t;
    }

    /// <summary>timm's <c>rand_bbox</c> (margin 0): rows [top, bottom) and columns [left, right) of the box.</summary>
    internal static (int Top, int Bottom, int Left, int Right) CutMixBox(int h, int w, double lambda, Rng rng)
    {
        double ratio = Math.Sqrt(1.0 - lambda);
        int cutH = (int)(h * ratio);
        int cutW = (int)(w * ratio);
        int cy = rng.NextInt(h);
        int cx = rng.NextInt(w);
        return (Math.Clamp(cy - cutH / 2, 0, h), Math.Clamp(cy + cutH / 2, 0, h),
                Math.Clamp(cx - cutW / 2, 0, w), Math.Clamp(cx + cutW / 2, 0, w));
    }

    // x: (N, C, H, W). x[i] = λ·x[i] + (1−λ)·x[N−1−i] for every i, from the original values.
    private static void BlendReversed(Span<float> x, BatchShape s, float lambda)
    {
        int size = s.ImageSize;
        float mu = 1f - lambda;
        for (int i = 0; i < (s.N + 1) / 2; i++)
        {
            var a = x.Slice(i * size, size);
            var b = x.Slice((s.N - 1 - i) * size, size);
            for (int e = 0; e < size; e++)
            {
                float va = a[e];
                float vb = b[e];
                a[e] = va * lambda + vb * mu;
                b[e] = vb * lambda + va * mu;
            }
        }
    }

    // x: (N, C, H, W). Swaps the box between samples i and N−1−i (each gets its partner's box).
    private static void PasteReversed(Span<float> x, BatchShape s, int top, int bottom, int left, int right)
    {
        int width = right - left;
        for (int i = 0; i < s.N / 2; i++)
        {
            int j = s.N - 1 - i;
            for (int c = 0; c < s.C; c++)
            {
                for (int r = top; r < bottom; r++)
                {
                    var a = x.Slice(((i * s.C + c) * s.H + r) * s.W + left, width);
                    var b = x.Slice(((j * s.C + c) * s.H + r) * s.W + left, width);
                    for (int e = 0; e < width; e++)
                    {
                        (a[e], b[e]) = (b[e], a[e]);
                    }
                }
            }
        }
    }
}
