namespace Offramp.Data;

/// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of the gzip trailer (RFC 1952).</summary>
internal static class Crc32
{
    private static readonly uint[][] Tables = BuildTables();

    /// <summary>Continues a CRC over <paramref name="data"/>; start with 0 and chain the results.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var t0 = Tables[0];
        var t1 = Tables[1];
        var t2 = Tables[2];
        var t3 = Tables[3];
        int i = 0;

        // Slicing-by-4 (Intel's "slice-by-N" CRC): four table look-ups per 32-bit word instead of four passes.
        for (; i + 4 <= data.Length; i += 4)
        {
            c ^= (uint)(data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24);
            c = t3[c & 0xFF] ^ t2[(c >> 8) & 0xFF] ^ t1[(c >> 16) & 0xFF] ^ t0[c >> 24];
        }

        for (; i < data.Length; i++)
        {
            c = t0[(c ^ data[i]) & 0xFF] ^ (c >> 8);
        }

        return ~c;
    }

    private static uint[][] BuildTables()
    {
        var t = new uint[4][];
        for (int k = 0; k < 4; k++)
        {
            t[k] = new uint[256];
        }

        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int b = 0; b < 8; b++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            t[0][n] = c;
        }

        for (int n = 0; n < 256; n++)
        {
            for (int k = 1; k < 4; k++)
            {
                t[k][n] = t[0][t[k - 1][n] & 0xFF] ^ (t[k - 1][n] >> 8);
            }
        }

        return t;
    }
}
