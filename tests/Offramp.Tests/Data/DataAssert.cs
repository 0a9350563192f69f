using System.Globalization;
using System.Text;

namespace Offramp.Tests.Data;

/// <summary>
/// Float comparison in llm.c's check_tensor style: named tolerances, max difference, first mismatches.
/// </summary>
internal static class DataAssert
{
    public static void Close(
        ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length} vs expected {expected.Length}");
        var sb = new StringBuilder();
        int bad = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, double.IsNaN(d) ? double.PositiveInfinity : d);
            if (!(d <= atol + rtol * Math.Abs(expected[i])) && bad++ < 5)
            {
                sb.Append(CultureInfo.InvariantCulture, $" [{i}] {actual[i]:G9} vs {expected[i]:G9};");
            }
        }

        Assert.True(
            bad == 0,
            $"{what}: {bad}/{expected.Length} mismatches (atol {atol}, rtol {rtol}), max |diff| {maxDiff:G4}:{sb}");
    }
}
