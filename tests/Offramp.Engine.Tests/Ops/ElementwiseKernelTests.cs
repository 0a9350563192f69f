using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Ops;

/// <summary>
/// Every float32 fast element-wise kernel against its naive twin (the double-precision formula, rounded), at each
/// forced SIMD width, over lengths that exercise full Vector512 blocks, a Vector256 block and scalar tails.
/// </summary>
public class ElementwiseKernelTests
{
    private static readonly int[] Lengths = [0, 1, 3, 7, 8, 15, 16, 17, 23, 24, 31, 32, 33, 63, 64, 65, 100, 1000, 1027];

    /// <summary>Values over [−8, 8) with the special points of the ops mixed in (kinks, ±0, large, NaN).</summary>
    private static float[] Inputs(int n, ulong seed)
    {
        var rng = new Rng(seed);
        float[] special = [0f, -0f, 3f, -3f, 1e-4f, -1e-4f, -20f, 40f, -100f, float.NaN, 2.5f, -5.7f];
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i % 5 == 4 ? special[i / 5 % special.Length] : (float)(16 * rng.NextDouble() - 8);
        }

        return x;
    }

    private static void CheckUnary<TOp>(TOp op, SimdWidth width, double atol, double rtol)
        where TOp : struct, IFastUnaryOp
    {
        foreach (int n in Lengths)
        {
            var x = Inputs(n, (ulong)n + 11);
            var expected = new float[n];
            var actual = new float[n];
            ElementwiseReference.Map<float, TOp>(x, expected, op);
            Elementwise.Map(x, actual, op, width);
            TestUtil.AssertClose(expected, actual, atol, rtol, $"{typeof(TOp).Name} n={n} {width}");
        }
    }

    private static void CheckMap<TOp>(TOp op, SimdWidth width, double atol, double rtol)
        where TOp : struct, IFastMapOp
    {
        foreach (int n in Lengths)
        {
            var a = Inputs(n, (ulong)n + 23);
            var g = Inputs(n, (ulong)n + 37);
            var expected = new float[n];
            var actual = new float[n];
            ElementwiseReference.Map<float, TOp>(a, g, expected, op);
            Elementwise.Map(a, g, actual, op, width);
            TestUtil.AssertClose(expected, actual, atol, rtol, $"{typeof(TOp).Name} n={n} {width}");
        }
    }

    // Widths are SimdWidth values (Scalar, V256, V512): tests force each fallback.
    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(512)]
    public void ForwardActivations_FastMatchesReference(int bits)
    {
        var width = (SimdWidth)bits;
        CheckUnary(default(GeluOp), width, 1e-6, 2e-6);
        CheckUnary(default(GeluTanhOp), width, 1e-6, 2e-6);
        CheckUnary(default(SiluOp), width, 1e-6, 2e-6);
        CheckUnary(default(HardswishOp), width, 0, 0);
        CheckUnary(default(HardsigmoidOp), width, 0, 0);
        CheckUnary(new EluOp(1.0), width, 1e-7, 2e-6);
        CheckUnary(new EluOp(0.3), width, 1e-7, 2e-6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    [InlineData(512)]
    public void BackwardActivations_FastMatchesReference(int bits)
    {
        var width = (SimdWidth)bits;
        CheckMap(default(ReluGradOp), width, 0, 0);
        CheckMap(default(GeluGradOp), width, 2e-6, 4e-6);
        CheckMap(default(GeluTanhGradOp), width, 2e-6, 4e-6);
        CheckMap(default(SiluGradOp), width, 2e-6, 4e-6);
        CheckMap(default(SigmoidGradOp), width, 0, 1e-6);
        CheckMap(default(TanhGradOp), width, 0, 1e-6);
        CheckMap(default(HardswishGradOp), width, 0, 1e-6);
        CheckMap(default(HardsigmoidGradOp), width, 0, 0);
        CheckMap(new EluGradOp(1.7), width, 1e-6, 2e-6);
    }

    [Fact]
    public void Map_InPlace_SameAsOutOfPlace()
    {
        var x = Inputs(1027, 5);
        var expected = new float[x.Length];
        Elementwise.Map(x, expected, default(GeluOp));
        Elementwise.Map(x, x, default(GeluOp));
        Assert.Equal(expected, x);
    }

    [Fact]
    public void ExpM1_NearZero_KeepsRelativePrecision()
    {
        // exp(x) − 1 in float would lose all digits here; Kahan's form keeps them.
        foreach (float x in new[] { -1e-7f, -3e-5f, -1e-3f, -0.2f, -5f })
        {
            double exact = Math.Exp(x) - 1; // double cancels far less than float at these x
            Assert.True(Math.Abs(ExpM1.Fast(x) - exact) <= 3e-7 * Math.Abs(exact), $"expm1({x}) = {ExpM1.Fast(x):R}");
        }
    }
}
