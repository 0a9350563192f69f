namespace Offramp.Imaging;

/// <summary>
/// CRC-32 as PNG uses it (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320, initial value and final XOR
/// 0xFFFFFFFF) — the same checksum as zlib's <c>crc32</c>. PNG spec §5.5 and its Annex D sample code.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    /// <summary>The CRC of <paramref name="a"/> followed by <paramref name="b"/> (chunk type, then data).</summary>
    public static uint Compute(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        Update(Update(0xFFFFFFFFu, a), b) ^ 0xFFFFFFFFu;

    /// <summary>Folds <paramref name="data"/> into a running (un-finalised) register.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
