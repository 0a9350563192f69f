using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// Random Erasing (Zhong et al. 2020), with torchvision's <c>RandomErasing</c> semantics: with probability p, one
/// rectangle of each image is overwritten, in place.
/// </summary>
/// <remarks>
/// <para>Per sample (torchvision <c>get_params</c>): one uniform draw decides whether to erase (below p). Then up to 10
/// attempts: area fraction s ~ U(scaleMin, scaleMax), aspect r = exp(U(ln ratioMin, ln ratioMax)),
/// <c>h = round(√(s·H·W·r))</c>, <c>w = round(√(s·H·W/r))</c> (round half to even, as Python); an attempt
/// whose box is not strictly smaller than the image (<c>h &lt; H</c> and <c>w &lt; W</c>) is retried; otherwise
/// the fill is drawn
/// (standard normal per value when <see cref="RandomValues"/>, else the constant <see cref="Value"/>), then the top
/// in [0, H−h] and the left in [0, W−w]. After 10 failed attempts the image is left as it is.</para>
/// <para>Apply it after <see cref="Normalize"/>: a fill of 0 is then the data mean and normal noise matches the
/// data's scale (timm's <c>mode="const"</c> and <c>mode="pixel"</c>).</para>
/// </remarks>
public sealed class RandomErasing : IBatchTransform
{
    private const int Attempts = 10;

    /// <summary>Creates the transform; the defaults are torchvision's.</summary>
    /// <param name="probability">Chance of erasing each image, in [0, 1].</param>
    /// <param name="scaleMin">Smallest erased fraction of the image area, in (0, 1].</param>
    /// <param name="scaleMax">Largest erased fraction, in [scaleMin, 1].</param>
    /// <param name="ratioMin">Smallest aspect ratio h/w of the box (&gt; 0).</param>
    /// <param name="ratioMax">Largest aspect ratio (≥ ratioMin).</param>
    /// <param name="value">Fill value when <paramref name="randomValues"/> is false.</param>
    /// <param name="randomValues">Fill with independent standard-normal values instead of a constant.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public RandomErasing(
        double probability = 0.5,
        double scaleMin = 0.02,
        double scaleMax = 0.33,
        double ratioMin = 0.3,
        double ratioMax = 3.3,
        float value = 0f,
        bool randomValues = false)
    {
        if (!(probability >= 0 && probability <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(probability), probability, "RandomErasing: p must be in [0, 1]");
        }

        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1))
        {
            throw new ArgumentOutOfRangeException(
                nameof(scaleMin), $"RandomErasing: scale ({scaleMin}, {scaleMax}) must satisfy 0 < min ≤ max ≤ 1");
        }

        if (!(ratioMin > 0 && ratioMin <= ratioMax && double.IsFinite(ratioMax)))
        {
            throw new ArgumentOutOfRangeException(
                nameof(ratioMin), $"RandomErasing: ratio ({ratioMin}, {ratioMax}) must satisfy 0 < min ≤ max < ∞");
        }

        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "RandomErasing: fill value must be finite");
        }

        Probability = probability;
        (ScaleMin, ScaleMax, RatioMin, RatioMax) = (scaleMin, scaleMax, ratioMin, ratioMax);
        Value = value;
        RandomValues = randomValues;
    }

    /// <summary>Chance of erasing each image.</summary>
    public double Probability { get; }

    /// <summary>Smallest erased area fraction.</summary>
    public double ScaleMin { get; }

    /// <summary>Largest erased area fraction.</summary>
    public double ScaleMax { get; }

    /// <summary>Smallest aspect ratio h/w.</summary>
    public double RatioMin { get; }

    /// <summary>Largest aspect ratio h/w.</summary>
    public double RatioMax { get; }

    /// <summary>Constant fill (when not <see cref="RandomValues"/>).</summary>
    public float Value { get; }

    /// <summary>Fill with standard-normal noise.</summary>
    public bool RandomValues { get; }

    /// <inheritdoc/>
    public Tensor Apply(Tensor batch, Rng rng)
    {
        var s = BatchShape.Of(batch, "RandomErasing");
        var x = batch.Span;
        for (int n = 0; n < s.N; n++)
        {
            if (rng.NextDouble() < Probability)
            {
                EraseOne(x.Slice(n * s.ImageSize, s.ImageSize), s, rng);
            }
        }

        return batch;
    }

    // x: (C, H, W) of one sample.
    private void EraseOne(Span<float> x, BatchShape s, Rng rng)
    {
        double area = (double)s.H * s.W;
        double logMin = Math.Log(RatioMin);
        double logMax = Math.Log(RatioMax);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double eraseArea = area * (ScaleMin + (ScaleMax - ScaleMin) * rng.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * rng.NextDouble());
            int h = (int)Math.Round(Math.Sqrt(eraseArea * aspect), MidpointRounding.ToEven);
            int w = (int)Math.Round(Math.Sqrt(eraseArea / aspect), MidpointRounding.ToEven);
            if (!(h < s.H && w < s.W))
            {
                continue;
            }

            // torchvision draws the fill before the position.
            float[]? noise = null;
            if (RandomValues)
            {
                noise = new float[s.C * h * w];
                for (int i = 0; i < noise.Length; i++)
                {
                    noise[i] = (float)rng.NextNormal();
                }
            }

            int top = rng.NextInt(s.H - h + 1);
            int left = rng.NextInt(s.W - w + 1);
            Fill(x, s.C, s.H, s.W, top, left, h, w, Value, noise);
            return;
        }
    }

    // x: (C, H, W); writes the box [top, top+h) × [left, left+w) of every channel with value, or noise (C, h, w).
    internal static void Fill(
        Span<float> x, int c, int height, int width, int top, int left, int h, int w, float value, float[]? noise)
    {
        for (int ch = 0; ch < c; ch++)
        {
            for (int i = 0; i < h; i++)
            {
                var row = x.Slice((ch * height + top + i) * width + left, w);
                if (noise is null)
                {
                    row.Fill(value);
                }
                else
                {
                    noise.AsSpan((ch * h + i) * w, w).CopyTo(row);
                }
            }
        }
    }
}
