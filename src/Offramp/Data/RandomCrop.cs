using Offramp.Engine;

namespace Offramp.Data;

/// <summary>
/// Pads each image with zeros on all four sides and cuts a random window of the target size from it (torchvision's
/// <c>RandomCrop(size, padding)</c> with <c>fill=0</c>, <c>padding_mode="constant"</c>).
/// </summary>
/// <remarks>
/// Per sample, the top offset is drawn first, then the left one, each uniform over the valid positions in the
/// padded image: <c>top ∈ [0, H + 2p − h]</c>, <c>left ∈ [0, W + 2p − w]</c> (as torchvision's
/// <c>get_params</c>). Apply it before <see cref="Normalize"/> so the padding is black, as torchvision pipelines do.
/// </remarks>
public sealed class RandomCrop : IBatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="height">Output height h.</param>
    /// <param name="width">Output width w.</param>
    /// <param name="padding">Zero padding p added on every side before cropping (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the padding is negative.</exception>
    public RandomCrop(int height, int width, int padding)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Height = height;
        Width = width;
        Padding = padding;
    }

    /// <summary>Creates a square crop (<c>RandomCrop(28, padding=4)</c> is the usual Fashion-MNIST choice).</summary>
    public RandomCrop(int size, int padding)
        : this(size, size, padding)
    {
    }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    /// <returns>A new (N, C, h, w) tensor.</returns>
    /// <exception cref="ArgumentException">The padded image is smaller than the crop.</exception>
    public Tensor Apply(Tensor batch, Rng rng)
    {
        var s = BatchShape.Of(batch, "RandomCrop");
        int ph = s.H + 2 * Padding;
        int pw = s.W + 2 * Padding;
        if (ph < Height || pw < Width)
        {
            throw new ArgumentException(
                $"RandomCrop({Height}×{Width}, padding={Padding}) got batch {Shape.Format(batch.Shape)}: " +
                "padded image is smaller than the crop",
                nameof(batch));
        }

        var result = Tensor.Empty([s.N, s.C, Height, Width]);
        var x = batch.Span;
        var y = result.Span;
        int outSize = s.C * Height * Width;
        for (int n = 0; n < s.N; n++)
        {
            int top = rng.NextInt(ph - Height + 1);
            int left = rng.NextInt(pw - Width + 1);
            Crop(x.Slice(n * s.ImageSize, s.ImageSize), y.Slice(n * outSize, outSize), s.C, s.H, s.W,
                Height, Width, top - Padding, left - Padding);
        }

        return result;
    }

    // x: (C, H, W), y: (C, h, w). y[c, i, j] = x[c, top + i, left + j], or 0 outside x (top/left may be negative:
    // they are offsets into the unpadded image).
    internal static void Crop(
        ReadOnlySpan<float> x, Span<float> y, int c, int h, int w, int outH, int outW, int top, int left)
    {
        int j0 = Math.Clamp(-left, 0, outW);          // first output column inside x
        int j1 = Math.Clamp(w - left, j0, outW);      // one past the last
        for (int ch = 0; ch < c; ch++)
        {
            for (int i = 0; i < outH; i++)
            {
                var row = y.Slice((ch * outH + i) * outW, outW);
                int sy = top + i;
                if (sy < 0 || sy >= h)
                {
                    row.Clear();
                    continue;
                }

                row[..j0].Clear();
                if (j1 > j0)
                {
                    x.Slice((ch * h + sy) * w + left + j0, j1 - j0).CopyTo(row[j0..j1]);
                }

                row[j1..].Clear();
            }
        }
    }
}
