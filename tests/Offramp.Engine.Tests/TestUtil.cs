using System.Globalization;
using System.Text;

namespace Offramp.Engine.Tests;

/// <summary>Shared helpers: float64 inputs for gradchecks and llm.c-style tensor comparison.</summary>
internal static class TestUtil
{
    /// <summary>A float64 leaf that requires grad, N(0,1) values from a fixed seed.</summary>
    public static Tensor R64(ulong seed, params int[] shape) => Tensor.Randn(new Rng(seed), shape, DType.Float64).WithGrad();

    /// <summary>Asserts a gradcheck passes, showing its report otherwise.</summary>
    public static void AssertGrad(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var r = GradCheck.Check(f, inputs);
        Assert.True(r.Passed, r.Report);
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise; the failure message lists the max
    /// difference and the first mismatches (llm.c's check_tensor).
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what = "")
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length} vs expected {expected.Length}");
        var sb = new StringBuilder();
        int bad = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(actual[i]) != double.IsNaN(expected[i]))
            {
                d = double.PositiveInfinity;
            }

            maxDiff = Math.Max(maxDiff, double.IsNaN(d) ? 0 : d);
            if (d > atol + rtol * Math.Abs(expected[i]))
            {
                if (bad++ < 5)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" [{i}] {actual[i]:G9} vs {expected[i]:G9};");
                }
            }
        }

        Assert.True(bad == 0, $"{what}: {bad}/{expected.Length} mismatches (atol {atol}, rtol {rtol}), max |diff| {maxDiff:G4}:{sb}");
    }

    /// <summary>Tensor overload of <see cref="AssertClose(ReadOnlySpan{float}, ReadOnlySpan{float}, double, double, string)"/>.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double atol, double rtol, string what = "")
    {
        Assert.True(Shape.Equal(expected.Shape, actual.Shape), $"{what}: shape {Shape.Format(actual.Shape)} vs expected {Shape.Format(expected.Shape)}");
        AssertClose(expected.ToArray(), actual.ToArray(), atol, rtol, what);
    }
}
