namespace Offramp.Imaging;

public sealed partial class ByteImage
{
    /// <summary>
    /// The image with <paramref name="channels"/> channels: 1 (grey) or 3 (RGB), alpha removed by
    /// <paramref name="alpha"/>.
    /// </summary>
    /// <remarks>
    /// RGB → grey uses ITU-R 601 luma L = 0.299 R + 0.587 G + 0.114 B in PIL's exact fixed-point form
    /// (<c>(R·19595 + G·38470 + B·7471 + 32768) &gt;&gt; 16</c>), so an opaque image matches
    /// <c>Image.convert("L")</c> bit for bit. Grey → RGB replicates the sample. Alpha is composited first.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="channels"/> is not 1 or 3.</exception>
    public ByteImage ToChannels(int channels, AlphaMode alpha = AlphaMode.CompositeOnBlack)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"ToChannels: channels must be 1 (grey) or 3 (RGB), got {channels}");
        }

        var dst = Create(Width, Height, channels);
        var src = Pixels;
        var d = dst.Pixels;
        int colour = HasAlpha ? Channels - 1 : Channels;
        int background = alpha == AlphaMode.CompositeOnWhite ? 255 : 0;
        Span<int> rgb = stackalloc int[3];
        for (int p = 0, n = Width * Height; p < n; p++)
        {
            int s = p * Channels;
            int a = HasAlpha && alpha != AlphaMode.Ignore ? src[s + colour] : 255;
            for (int c = 0; c < 3; c++)
            {
                int v = src[s + (colour == 1 ? 0 : c)];
                rgb[c] = a == 255 ? v : (v * a + background * (255 - a) + 127) / 255;
            }

            if (channels == 3)
            {
                d[p * 3] = (byte)rgb[0];
                d[p * 3 + 1] = (byte)rgb[1];
                d[p * 3 + 2] = (byte)rgb[2];
            }
            else
            {
                d[p] = colour == 1 ? (byte)rgb[0] : Luma(rgb[0], rgb[1], rgb[2]);
            }
        }

        return dst;
    }

    /// <summary>The image resampled to <paramref name="width"/> × <paramref name="height"/>, same channels.</summary>
    /// <remarks>Samples are resampled in float and rounded back to bytes; alpha is resampled like colour
    /// (not premultiplied). See <see cref="ResizeFilter"/> for the filters.</remarks>
    /// <exception cref="ArgumentException">A target size is not positive.</exception>
    public ByteImage Resize(int width, int height, ResizeFilter filter = ResizeFilter.Bilinear)
    {
        float[] planes = Resampled(ToPlanes(), Channels, height, width, filter);
        var dst = Create(width, height, Channels);
        int plane = width * height;
        for (int c = 0; c < Channels; c++)
        {
            for (int p = 0; p < plane; p++)
            {
                dst.Pixels[p * Channels + c] = (byte)Math.Clamp(MathF.Round(planes[c * plane + p] * 255f), 0, 255);
            }
        }

        return dst;
    }

    // ITU-R 601 luma with PIL's rounding (libImaging/Convert.c, L24).
    private static byte Luma(int r, int g, int b) => (byte)((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);

    /// <summary>The samples as float planes (C, H, W) scaled to [0, 1].</summary>
    private float[] ToPlanes()
    {
        int plane = Width * Height;
        var planes = new float[plane * Channels];
        for (int p = 0; p < plane; p++)
        {
            for (int c = 0; c < Channels; c++)
            {
                planes[c * plane + p] = Pixels[p * Channels + c] / 255f;
            }
        }

        return planes;
    }

    // planes: (C, H, W) → (C, height, width); returns the input when the size is unchanged.
    private float[] Resampled(float[] planes, int channels, int height, int width, ResizeFilter filter)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"resize target must be > 0, got {width}×{height}");
        }

        if (width == Width && height == Height)
        {
            return planes;
        }

        var dst = new float[channels * height * width];
        ImageResampler.Resize(planes, channels, Height, Width, dst, height, width, filter);
        return dst;
    }
}
