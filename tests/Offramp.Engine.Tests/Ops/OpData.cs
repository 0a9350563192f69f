namespace Offramp.Engine.Tests.Ops;

/// <summary>Inputs for op tests: gradcheck leaves kept away from kinks, and both element types of one array.</summary>
internal static class OpData
{
    /// <summary>
    /// A float64 leaf requiring grad with N(0, σ²) values, each nudged at least 0.05 away from every kink, so that
    /// central differences (eps 1e-6) never straddle a point where the op is not differentiable.
    /// </summary>
    public static Tensor Away(ulong seed, int[] shape, double scale, params double[] kinks)
    {
        var t = Tensor.Randn(new Rng(seed), shape, DType.Float64);
        var d = t.Data<double>();
        for (int i = 0; i < d.Length; i++)
        {
            d[i] *= scale;
            foreach (var k in kinks)
            {
                if (Math.Abs(d[i] - k) < 0.05)
                {
                    d[i] = k + (d[i] >= k ? 0.05 : -0.05);
                }
            }
        }

        return t.WithGrad();
    }

    /// <summary>A float64 leaf requiring grad with uniform values in [lo, hi).</summary>
    public static Tensor Uniform64(ulong seed, int[] shape, double lo, double hi) =>
        Tensor.Uniform(new Rng(seed), shape, lo, hi, DType.Float64).WithGrad();

    /// <summary>The same values as a float32 and a float64 tensor.</summary>
    public static IEnumerable<Tensor> BothTypes(double[] values, params int[] shape)
    {
        yield return Tensor.FromArray(values, shape).ToDType(DType.Float32);
        yield return Tensor.FromArray(values, shape);
    }

    /// <summary>Asserts a tensor's shape and values (float64 comparison, tolerance suited to its type).</summary>
    public static void AssertValues(Tensor t, int[] shape, double[] expected, double tol = -1)
    {
        Assert.True(Shape.Equal(t.Shape, shape), $"shape {Shape.Format(t.Shape)} vs expected {Shape.Format(shape)}");
        if (tol < 0)
        {
            tol = t.DType == DType.Float32 ? 2e-6 : 1e-14;
        }

        var a = t.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            bool ok = double.IsNaN(expected[i]) ? double.IsNaN(a[i])
                : expected[i] == a[i] || Math.Abs(a[i] - expected[i]) <= tol * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(ok, $"[{i}] {a[i]:R} vs expected {expected[i]:R} ({t.DType.Name()})");
        }
    }
}
