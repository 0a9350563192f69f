using System.Globalization;
using System.Text;

namespace Offramp.Tests.Imaging;

/// <summary>llm.c-style comparison: max difference and the first mismatches in the failure message.</summary>
internal static class ImagingAssert
{
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length} vs expected {expected.Length}");
        var sb = new StringBuilder();
        int bad = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, d);
            if (!(d <= atol) && bad++ < 5)
            {
                sb.Append(CultureInfo.InvariantCulture, $" [{i}] {actual[i]:G6} vs {expected[i]:G6};");
            }
        }

        Assert.True(bad == 0, $"{what}: {bad}/{expected.Length} mismatches (atol {atol:G3}), max |diff| {maxDiff:G4}:{sb}");
    }
}
