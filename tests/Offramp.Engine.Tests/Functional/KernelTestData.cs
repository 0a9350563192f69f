namespace Offramp.Engine.Tests.Functional;

/// <summary>Random inputs for kernel-versus-reference tests and conversions between float and double copies.</summary>
internal static class KernelTestData
{
    /// <summary>Odd and even sizes for kernel sweeps (1, 3, 7, 17, 33 hit vector tails; 16, 64 full vectors).</summary>
    public static readonly int[] Sizes = [1, 2, 3, 7, 16, 17, 33, 64];

    /// <summary>N(0, σ²) floats from a fixed seed.</summary>
    public static float[] Normal(ulong seed, int n, double sigma = 1.0)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)(sigma * rng.NextNormal());
        }

        return a;
    }

    /// <summary>Uniform floats in [lo, hi) from a fixed seed.</summary>
    public static float[] Uniform(ulong seed, int n, double lo, double hi)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        }

        return a;
    }

    public static double[] ToDouble(float[] a) => [.. a.Select(v => (double)v)];

    public static float[] ToFloat(double[] a) => [.. a.Select(v => (float)v)];
}
