using Offramp.Engine;

namespace Offramp.Imaging;

public sealed partial class ByteImage
{
    /// <summary>
    /// A float32 tensor of shape (1, C, H, W) with values in [0, 1] (sample / 255), ready to feed a model.
    /// </summary>
    /// <param name="channels">1 (grey) or 3 (RGB); converted as <see cref="ToChannels(int, AlphaMode)"/> does
    /// (RGB → grey by ITU-R 601 luma, grey → RGB by replication).</param>
    /// <param name="height">Target height (e.g. 28), or null to keep the image's.</param>
    /// <param name="width">Target width (e.g. 28), or null to keep the image's. The image is stretched to the
    /// target; crop or pad first to keep the aspect ratio.</param>
    /// <param name="filter">Resampling filter when the size changes; resampling runs in float after the channel
    /// conversion, so the tensor is not quantised to 1/255 steps.</param>
    /// <param name="alpha">How alpha is removed; black by default (MNIST's background).</param>
    /// <exception cref="ArgumentException">channels is not 1 or 3, or a target size is not positive.</exception>
    public Tensor ToTensor(
        int channels = 1,
        int? height = null,
        int? width = null,
        ResizeFilter filter = ResizeFilter.Bilinear,
        AlphaMode alpha = AlphaMode.CompositeOnBlack)
    {
        var converted = channels == Channels && !HasAlpha ? this : ToChannels(channels, alpha);
        int h = height ?? Height, w = width ?? Width;
        float[] planes = converted.Resampled(converted.ToPlanes(), channels, h, w, filter);
        if (filter == ResizeFilter.Bilinear)
        {
            // Bilinear weights are convex, so values stay in [0, 1] up to float rounding; clamp that away.
            for (int i = 0; i < planes.Length; i++)
            {
                planes[i] = Math.Clamp(planes[i], 0f, 1f);
            }
        }

        return Tensor.FromArray(planes, 1, channels, h, w);
    }

    /// <summary>
    /// An image from a tensor of shape (1, C, H, W), (C, H, W) or (H, W) with C in 1–4 and values in [0, 1]
    /// (clamped, then scaled to 0–255 and rounded). The inverse of <see cref="ToTensor"/> for export.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not one of those.</exception>
    public static ByteImage FromTensor(Tensor tensor)
    {
        int[] s = tensor.Shape;
        (int c, int h, int w) = s.Length switch
        {
            2 => (1, s[0], s[1]),
            3 => (s[0], s[1], s[2]),
            4 when s[0] == 1 => (s[1], s[2], s[3]),
            _ => (0, 0, 0),
        };
        if (c is < 1 or > 4 || h <= 0 || w <= 0)
        {
            throw new ArgumentException(
                $"FromTensor needs (1, C, H, W), (C, H, W) or (H, W) with C in 1–4, got {Shape.Format(s)}");
        }

        double[] v = tensor.ToDoubleArray();
        var image = Create(w, h, c);
        int plane = w * h;
        for (int ch = 0; ch < c; ch++)
        {
            for (int p = 0; p < plane; p++)
            {
                double x = v[ch * plane + p];
                image.Pixels[p * c + ch] = (byte)Math.Round(Math.Clamp(double.IsNaN(x) ? 0 : x, 0, 1) * 255);
            }
        }

        return image;
    }
}
