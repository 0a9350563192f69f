namespace Offramp.Imaging;

/// <summary>
/// Safety limits for <see cref="PngDecoder"/>. Every limit is checked against the header before any pixel
/// memory is allocated, so a hostile file cannot make the decoder allocate more than these allow.
/// </summary>
public sealed record PngDecoderOptions
{
    /// <summary>The defaults: at most 16384×16384, 2^26 pixels (an 8192×8192 image) and a 256 MiB file.</summary>
    public static PngDecoderOptions Default { get; } = new();

    /// <summary>Largest accepted width in pixels.</summary>
    public int MaxWidth { get; init; } = 16384;

    /// <summary>Largest accepted height in pixels.</summary>
    public int MaxHeight { get; init; } = 16384;

    /// <summary>Largest accepted width × height.</summary>
    public long MaxPixels { get; init; } = 1L << 26;

    /// <summary>Largest file <see cref="PngDecoder.Load(string, PngDecoderOptions?)"/> will read, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 256L << 20;
}
