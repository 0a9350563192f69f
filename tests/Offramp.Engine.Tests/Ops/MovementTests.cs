using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Tests.Ops;

public class MovementTests
{
    private static Tensor Arange(int n, DType dtype, params int[] shape) => Tensor.Arange(0, n, 1, dtype).Reshape(shape);

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Permute_KnownArange_MovesElements(DType dtype)
    {
        OpData.AssertValues(Arange(6, dtype, 2, 3).Permute(1, 0), [3, 2], [0, 3, 1, 4, 2, 5]);

        // y[i, j, k] = x[j, k, i] with x[j, k, i] = 12j + 4k + i.
        var y = Arange(24, dtype, 2, 3, 4).Permute(2, 0, 1);
        var expected = new double[24];
        for (int i = 0, f = 0; i < 4; i++)
        {
            for (int j = 0; j < 2; j++)
            {
                for (int k = 0; k < 3; k++)
                {
                    expected[f++] = 12 * j + 4 * k + i;
                }
            }
        }

        OpData.AssertValues(y, [4, 2, 3], expected);
        OpData.AssertValues(Arange(24, dtype, 2, 3, 4).Permute(-1, 0, 1), [4, 2, 3], expected);
    }

    [Fact]
    public void Permute_FastKernel_MatchesNaiveTwin()
    {
        // Shapes with size-1 dims, odd sizes and tile remainders; every permutation of each.
        int[][] shapes = [[5], [3, 1], [17, 33], [1, 16, 17], [2, 3, 4], [3, 1, 5, 2], [2, 17, 3, 19], [2, 1, 3, 1, 4], [4, 3, 2, 5, 3]];
        foreach (var shape in shapes)
        {
            var x = Tensor.Arange(0, Shape.Numel(shape)).Span.ToArray();
            foreach (var perm in Permutations(shape.Length))
            {
                var expected = new float[x.Length];
                var actual = new float[x.Length];
                MovementReference.Permute<float>(x, expected, shape, perm);
                Movement.Permute<float>(x, actual, shape, perm);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"shape {Shape.Format(shape)} perm [{string.Join(",", perm)}]");
            }
        }
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 0)
        {
            yield return [];
            yield break;
        }

        foreach (var p in Permutations(n - 1))
        {
            for (int pos = 0; pos <= p.Length; pos++)
            {
                var q = new List<int>(p);
                q.Insert(pos, n - 1);
                yield return [.. q];
            }
        }
    }

    [Fact]
    public void Permute_BadDims_NameTheShape()
    {
        var x = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ArgumentException>(() => x.Permute(0, 0));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("[0, 0]", e.Message);
        Assert.Throws<ArgumentException>(() => x.Permute(0));
        Assert.Throws<ArgumentException>(() => x.Permute(0, 2));
    }

    [Fact]
    public void Transpose_SwapsTwoDims()
    {
        var t = Arange(24, DType.Float32, 2, 3, 4).Transpose(-1, 1);
        Assert.Equal([2, 4, 3], t.Shape);
        Assert.Equal(4 * 2 + 1, t[0, 1, 2]); // x[0, 2, 1]
        Assert.Equal(12 + 4 * 1 + 3, t[1, 3, 1]); // x[1, 1, 3]
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Slice_PythonSemantics(DType dtype)
    {
        var x = Arange(10, dtype, 10);
        OpData.AssertValues(x.Slice(0, 2, 8, 2), [3], [2, 4, 6]);
        OpData.AssertValues(x.Slice(0, -3, int.MaxValue), [3], [7, 8, 9]);
        OpData.AssertValues(x.Slice(0, 1, 100, 4), [3], [1, 5, 9]);
        OpData.AssertValues(x.Slice(0, 7, 3), [0], []);
        OpData.AssertValues(x.Slice(0, -100, 2), [2], [0, 1]);
        var m = Arange(12, dtype, 3, 4);
        OpData.AssertValues(m.Slice(1, 1, 4, 2), [3, 2], [1, 3, 5, 7, 9, 11]);
        OpData.AssertValues(m.Slice(-2, 1, 3), [2, 4], [4, 5, 6, 7, 8, 9, 10, 11]);
        Assert.Throws<ArgumentException>(() => x.Slice(0, 0, 5, 0));
    }

    [Fact]
    public void Narrow_TakesARange_AndRejectsOverflow()
    {
        var m = Arange(12, DType.Float32, 3, 4);
        OpData.AssertValues(m.Narrow(1, 1, 2), [3, 2], [1, 2, 5, 6, 9, 10]);
        OpData.AssertValues(m.Narrow(0, -1, 1), [1, 4], [8, 9, 10, 11]);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => m.Narrow(1, 3, 2));
        Assert.Contains("(3, 4)", e.Message);
    }

    [Fact]
    public void FlattenUnsqueezeSqueeze_Shapes()
    {
        var x = Arange(24, DType.Float32, 2, 3, 4);
        Assert.Equal([24], x.Flatten().Shape);
        Assert.Equal([2, 12], x.Flatten(1).Shape);
        Assert.Equal([6, 4], x.Flatten(0, 1).Shape);
        Assert.Equal([2, 3, 4], x.Flatten(1, 1).Shape);
        Assert.Equal([1], Tensor.Scalar(3).Flatten().Shape);
        Assert.Throws<ArgumentException>(() => x.Flatten(2, 1));
        Assert.Equal([1, 2, 3, 4], x.Unsqueeze(0).Shape);
        Assert.Equal([2, 3, 4, 1], x.Unsqueeze(-1).Shape);
        Assert.Equal([2, 3, 1, 4], x.Unsqueeze(2).Shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Unsqueeze(4));
        var y = x.Reshape(2, 1, 3, 1, 4);
        Assert.Equal([2, 3, 1, 4], y.Squeeze(1).Shape);
        Assert.Equal([2, 1, 3, 1, 4], y.Squeeze(0).Shape); // not size 1: unchanged, as PyTorch
        Assert.Equal([2, 3, 4], y.Squeeze().Shape);
        Assert.True(y.Squeeze().SharesStorageWith(x));
    }

    [Fact]
    [GradCheckCase("permute", "slice")]
    public void PermuteSlice_PassGradCheck()
    {
        var x = TestUtil.R64(13, 2, 3, 4);
        TestUtil.AssertGrad(t => t[0].Permute(2, 0, 1), x);
        TestUtil.AssertGrad(t => t[0].Transpose(0, 2), x);
        TestUtil.AssertGrad(t => t[0].Slice(2, 1, 4, 2), x);
        TestUtil.AssertGrad(t => t[0].Slice(1, -2, int.MaxValue), x);
        TestUtil.AssertGrad(t => t[0].Narrow(0, 1, 1).Flatten().Unsqueeze(0).Squeeze(0), x);
    }
}
