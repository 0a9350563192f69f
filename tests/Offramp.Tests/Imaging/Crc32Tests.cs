using System.Text;
using Offramp.Imaging;

namespace Offramp.Tests.Imaging;

public class Crc32Tests
{
    [Fact]
    public void Compute_CheckString_MatchesStandardCheckValue()
    {
        // The CRC-32/ISO-HDLC check value for "123456789".
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Compute_EmptyIend_MatchesEveryPngFile()
    {
        // Every PNG ends with IEND, length 0, CRC AE 42 60 82.
        Assert.Equal(0xAE426082u, Crc32.Compute(Encoding.ASCII.GetBytes("IEND"), []));
    }

    [Fact]
    public void Compute_TwoParts_EqualsConcatenation()
    {
        byte[] a = [1, 2, 3], b = [250, 251, 252, 253];
        Assert.Equal(Crc32.Compute([.. a, .. b]), Crc32.Compute(a, b));
    }
}
