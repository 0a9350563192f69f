namespace Offramp.Imaging;

/// <summary>The PNG colour types (IHDR byte 9, PNG spec §11.2.2).</summary>
public enum PngColorType
{
    /// <summary>Greyscale samples (bit depth 1, 2, 4, 8 or 16).</summary>
    Grey = 0,

    /// <summary>Red, green, blue (bit depth 8 or 16).</summary>
    Rgb = 2,

    /// <summary>Indices into a PLTE palette (bit depth 1, 2, 4 or 8).</summary>
    Palette = 3,

    /// <summary>Greyscale and alpha (bit depth 8 or 16).</summary>
    GreyAlpha = 4,

    /// <summary>Red, green, blue and alpha (bit depth 8 or 16).</summary>
    Rgba = 6,
}
