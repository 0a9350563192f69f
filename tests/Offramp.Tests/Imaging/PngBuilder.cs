using System.Buffers.Binary;
using System.Text;
using Offramp.Imaging;

namespace Offramp.Tests.Imaging;

/// <summary>Builds PNG byte streams chunk by chunk, including malformed ones, for decoder tests.</summary>
internal sealed class PngBuilder
{
    private readonly MemoryStream _ms = new();

    public PngBuilder(bool signature = true)
    {
        if (signature)
        {
            _ms.Write(PngDecoder.Signature);
        }
    }

    /// <summary>Appends a chunk; <paramref name="crc"/> overrides the correct CRC.</summary>
    public PngBuilder Chunk(string type, byte[] data, uint? crc = null)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        _ms.Write(word);
        byte[] name = Encoding.ASCII.GetBytes(type);
        _ms.Write(name);
        _ms.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, crc ?? Crc32.Compute(name, data));
        _ms.Write(word);
        return this;
    }

    public PngBuilder Ihdr(int width, int height, int depth, PngColorType color, int interlace = 0) =>
        Chunk("IHDR", PngEncoder.Header(width, height, depth, color, interlace));

    /// <summary>One IDAT holding the zlib stream of <paramref name="scanlines"/> (filter bytes included).</summary>
    public PngBuilder Idat(byte[] scanlines) => Chunk("IDAT", PngEncoder.Compress(scanlines));

    public PngBuilder Iend() => Chunk("IEND", []);

    public PngBuilder Raw(byte[] bytes)
    {
        _ms.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _ms.ToArray();

    /// <summary>Scanlines with filter None for rows of samples.</summary>
    public static byte[] Unfiltered(params byte[][] rows) =>
        rows.SelectMany(r => new byte[] { 0 }.Concat(r)).ToArray();

    /// <summary>A valid 8-bit grey PNG of the given rows.</summary>
    public static byte[] Grey(params byte[][] rows) => new PngBuilder()
        .Ihdr(rows[0].Length, rows.Length, 8, PngColorType.Grey).Idat(Unfiltered(rows)).Iend().ToArray();

    /// <summary>Applies PNG filter <paramref name="type"/> to <paramref name="row"/> (the encoder side, spec §9.2).</summary>
    public static byte[] Filter(int type, byte[] row, byte[]? prior, int bpp)
    {
        var line = new byte[row.Length + 1];
        line[0] = (byte)type;
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = prior?[i] ?? 0;
            int c = i >= bpp && prior is not null ? prior[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                _ => PaethPredictor(a, b, c),
            };
            line[i + 1] = (byte)(row[i] - predictor);
        }

        return line;
    }

    private static int PaethPredictor(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }
}
