using System.Globalization;
using System.Text;
using Offramp.Engine;

namespace Offramp.Tests.Models;

/// <summary>Float comparisons for model tests (llm.c's check_tensor: max difference and first mismatches).</summary>
internal static class ModelAssert
{
    /// <summary>Asserts equal shapes and |actual − expected| ≤ atol + rtol·|expected| element-wise.</summary>
    public static void Close(Tensor expected, Tensor actual, double atol, double rtol, string what)
    {
        Assert.True(Shape.Equal(expected.Shape, actual.Shape),
            $"{what}: shape {Shape.Format(actual.Shape)} vs expected {Shape.Format(expected.Shape)}");
        float[] e = expected.ToArray(), a = actual.ToArray();
        var sb = new StringBuilder();
        int bad = 0;
        double maxDiff = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double d = Math.Abs((double)a[i] - e[i]);
            if (double.IsNaN(d))
            {
                d = double.PositiveInfinity;
            }

            maxDiff = Math.Max(maxDiff, d);
            if (d > atol + rtol * Math.Abs(e[i]) && bad++ < 5)
            {
                sb.Append(CultureInfo.InvariantCulture, $" [{i}] {a[i]:G9} vs {e[i]:G9};");
            }
        }

        Assert.True(bad == 0,
            $"{what}: {bad}/{e.Length} mismatches (atol {atol}, rtol {rtol}), max |diff| {maxDiff:G4}:{sb}");
    }

    /// <summary>A (N, C, H, W) batch of N(0, 1) values from a fixed seed.</summary>
    public static Tensor Batch(ulong seed, int n, int[] sampleShape) =>
        Tensor.Randn(new Rng(seed), [n, .. sampleShape]);
}
