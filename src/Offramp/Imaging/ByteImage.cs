namespace Offramp.Imaging;

/// <summary>
/// An image with 8 bits per sample: <see cref="Height"/> rows of <see cref="Width"/> pixels, each pixel
/// <see cref="Channels"/> interleaved samples (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA), rows top to bottom.
/// </summary>
/// <remarks>
/// This is what <see cref="PngDecoder"/> produces and <see cref="PngEncoder"/> consumes. Convert it to a model
/// input with <see cref="ToTensor(int, int?, int?, ResizeFilter, AlphaMode)"/>.
/// </remarks>
public sealed partial class ByteImage
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied) as an image.</summary>
    /// <param name="width">Width in pixels, &gt; 0.</param>
    /// <param name="height">Height in pixels, &gt; 0.</param>
    /// <param name="channels">1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA).</param>
    /// <param name="pixels">Exactly width × height × channels samples, row-major, channels interleaved.</param>
    /// <exception cref="ArgumentException">
    /// A size is not positive, channels is not 1–4, or the length is wrong.
    /// </exception>
    public ByteImage(int width, int height, int channels, byte[] pixels)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ArgumentException($"ByteImage needs width and height > 0, got {width}×{height}");
        }

        if (channels is < 1 or > 4)
        {
            throw new ArgumentException($"ByteImage needs 1–4 channels, got {channels}");
        }

        long n = (long)width * height * channels;
        if (pixels.Length != n)
        {
            throw new ArgumentException(
                $"ByteImage {width}×{height}×{channels} needs {n} samples, got {pixels.Length}");
        }

        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Samples per pixel: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>True when the last channel is alpha (2 or 4 channels).</summary>
    public bool HasAlpha => Channels is 2 or 4;

    /// <summary>The samples, row-major (H, W, C). Writable: the image does not copy them.</summary>
    public byte[] Pixels { get; }

    /// <summary>One sample.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A coordinate is outside the image.</exception>
    public byte this[int y, int x, int c]
    {
        get
        {
            CheckIndex(y, x, c);
            return Pixels[((y * Width) + x) * Channels + c];
        }

        set
        {
            CheckIndex(y, x, c);
            Pixels[((y * Width) + x) * Channels + c] = value;
        }
    }

    /// <summary>A new zero-filled (black, transparent) image.</summary>
    public static ByteImage Create(int width, int height, int channels)
    {
        long n = (long)width * height * channels;
        if (width <= 0 || height <= 0 || channels is < 1 or > 4 || n > Array.MaxLength)
        {
            throw new ArgumentException($"ByteImage.Create: invalid size {width}×{height}×{channels}");
        }

        return new ByteImage(width, height, channels, new byte[n]);
    }

    /// <summary>Readable description: size and channel layout.</summary>
    public override string ToString() =>
        $"ByteImage {Width}×{Height} {Channels switch { 1 => "grey", 2 => "grey+alpha", 3 => "RGB", _ => "RGBA" }}";

    private void CheckIndex(int y, int x, int c)
    {
        if ((uint)y >= (uint)Height || (uint)x >= (uint)Width || (uint)c >= (uint)Channels)
        {
            throw new ArgumentOutOfRangeException(
                nameof(y), $"pixel (y={y}, x={x}, c={c}) outside {Width}×{Height}×{Channels}");
        }
    }
}
