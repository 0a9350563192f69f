using Offramp.Data;
using Offramp.Engine;
using Offramp.Imaging;

namespace Offramp.Cli.Commands;

/// <summary>One image to predict: where it came from and its (1, C, H, W) tensor, preprocessed as in training.</summary>
internal sealed record PredictInput(string Source, int? Index, Tensor Image);

/// <summary>
/// Reads <c>offramp predict</c>'s inputs: PNG files (8-bit grey, RGB, RGBA and every other standard PNG kind, through
/// the hardened decoder, converted to the model's channels and resized to its input) and IDX image files
/// (N, H, W) of unsigned bytes at the model's size. Both are scaled to [0, 1] and normalised as the run's data set was.
/// </summary>
internal static class PredictInputs
{
    /// <summary>Limits for predict's PNGs: an input image is small; a bigger one is refused before decoding.</summary>
    public static PngDecoderOptions PngLimits { get; } = new()
    {
        MaxWidth = 4096, MaxHeight = 4096, MaxPixels = 4096L * 4096, MaxFileBytes = 64L << 20,
    };

    /// <exception cref="UsageException">A file is neither PNG nor IDX, or its images do not fit the model.</exception>
    /// <exception cref="ImageFormatException">A PNG is malformed, truncated or too large.</exception>
    /// <exception cref="IdxFormatException">An IDX file is malformed.</exception>
    public static IEnumerable<PredictInput> Read(IReadOnlyList<string> paths, int[] inputShape, Normalize? normalize)
    {
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                throw new UsageException($"input {path}: file not found");
            }

            var kind = Sniff(path);
            if (kind == "png")
            {
                var image = PngDecoder.Load(path, PngLimits);
                if (inputShape[0] is not (1 or 3))
                {
                    throw new UsageException($"input {path}: the model takes {inputShape[0]}-channel input; PNG gives 1 or 3");
                }

                yield return new PredictInput(path, null, Prepare(image.ToTensor(inputShape[0], inputShape[1], inputShape[2]), normalize));
            }
            else
            {
                var idx = IdxReader.Read(path);
                if (idx.ElementType != IdxElementType.UByte || idx.Shape.Length != 3 || inputShape[0] != 1
                    || idx.Shape[1] != inputShape[1] || idx.Shape[2] != inputShape[2])
                {
                    throw new UsageException(
                        $"input {path}: IDX {idx.ElementType} {idx.ShapeText} is not an image file the model takes; need unsigned bytes (N, {inputShape[1]}, {inputShape[2]})");
                }

                int plane = idx.Shape[1] * idx.Shape[2];
                var bytes = idx.Bytes;
                for (int i = 0; i < idx.Shape[0]; i++)
                {
                    var v = new float[plane];
                    for (int p = 0; p < plane; p++)
                    {
                        v[p] = bytes[(i * plane) + p] / 255f;
                    }

                    yield return new PredictInput(path, i, Prepare(Tensor.FromArray(v, 1, 1, idx.Shape[1], idx.Shape[2]), normalize));
                }
            }
        }
    }

    private static Tensor Prepare(Tensor x, Normalize? normalize) => normalize is null ? x : normalize.Apply(x, new Rng(0));

    /// <summary>"png" or "idx" from the first bytes.</summary>
    /// <exception cref="UsageException">Neither.</exception>
    private static string Sniff(string path)
    {
        Span<byte> head = stackalloc byte[8];
        int got;
        using (var f = File.OpenRead(path))
        {
            got = f.ReadAtLeast(head, 8, throwOnEndOfStream: false);
        }

        head = head[..got];
        if (head.SequenceEqual(PngDecoder.Signature) || path.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
        {
            return "png";
        }

        // IDX starts with two zero bytes (then the type and rank); gzip with 1f 8b.
        if (got >= 4 && ((head[0] == 0 && head[1] == 0) || (head[0] == 0x1F && head[1] == 0x8B)))
        {
            return "idx";
        }

        throw new UsageException(
            $"input {path}: not a PNG or IDX file (starts with {Convert.ToHexString(head)}); predict reads PNG images and IDX image files");
    }
}
