namespace Offramp.Imaging;

/// <summary>How an alpha channel is removed when an image is converted to grey or RGB.</summary>
public enum AlphaMode
{
    /// <summary>
    /// Composite over black: each sample becomes round(c·a / 255). Transparent pixels turn black, which is the
    /// MNIST background (white strokes on black). The default.
    /// </summary>
    CompositeOnBlack,

    /// <summary>Composite over white: each sample becomes round((c·a + 255·(255 − a)) / 255).</summary>
    CompositeOnWhite,

    /// <summary>Drop alpha and keep the stored colour, as PIL's <c>Image.convert("L")</c> / <c>"RGB"</c> does.</summary>
    Ignore,
}
