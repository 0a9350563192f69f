namespace Offramp.Imaging;

/// <summary>
/// The resampling filter of <see cref="ByteImage.Resize(int, int, ResizeFilter)"/> and
/// <see cref="ByteImage.ToTensor(int, int?, int?, ResizeFilter, AlphaMode)"/>.
/// </summary>
public enum ResizeFilter
{
    /// <summary>
    /// Bilinear (triangle) filter with half-pixel centres, widened by the scale factor when shrinking so every
    /// source pixel contributes (antialiased, as PIL's <c>Image.resize(..., BILINEAR)</c> and torchvision's
    /// <c>antialias=True</c>). Upscaling is plain bilinear interpolation with edges clamped.
    /// </summary>
    Bilinear,

    /// <summary>
    /// Nearest neighbour: destination pixel x takes source pixel floor((x + 0.5) · in / out), as PIL's NEAREST.
    /// </summary>
    Nearest,
}
