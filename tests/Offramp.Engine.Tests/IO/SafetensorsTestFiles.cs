using System.Buffers.Binary;
using System.Text;

namespace Offramp.Engine.Tests.IO;

/// <summary>Builds raw safetensors bytes and temp directories for the IO tests.</summary>
internal static class SafetensorsTestFiles
{
    /// <summary>8-byte little-endian header length of <paramref name="header"/>, the header, then the data bytes.</summary>
    public static byte[] Build(string header, int dataBytes = 0) => Build(Encoding.UTF8.GetBytes(header), dataBytes);

    /// <summary>As <see cref="Build(string, int)"/> for header bytes that may not be valid UTF-8.</summary>
    public static byte[] Build(byte[] header, int dataBytes = 0)
    {
        var b = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)header.Length);
        header.CopyTo(b, 8);
        for (int i = 0; i < dataBytes; i++)
        {
            b[8 + header.Length + i] = (byte)(i * 37 + 1);
        }

        return b;
    }

    /// <summary>A declared header length <paramref name="n"/> followed by <paramref name="rest"/>.</summary>
    public static byte[] WithLength(ulong n, string rest)
    {
        var r = Encoding.UTF8.GetBytes(rest);
        var b = new byte[8 + r.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, n);
        r.CopyTo(b, 8);
        return b;
    }

    /// <summary>One tensor entry's JSON.</summary>
    public static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    /// <summary>A fresh empty directory under the system temp directory.</summary>
    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "offramp-st-" + name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Path of a committed fixture under Fixtures/safetensors in the test output directory.</summary>
    public static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors", file);

    /// <summary>The float32 bit patterns of a float32 tensor.</summary>
    public static uint[] Bits(Tensor t) => t.Span.ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray();

    /// <summary>The float64 bit patterns of a float64 tensor.</summary>
    public static ulong[] Bits64(Tensor t) => t.Data<double>().ToArray().Select(BitConverter.DoubleToUInt64Bits).ToArray();
}
