using Offramp.Engine.Functional;
using Offramp.Engine.Kernels;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests;

/// <summary>
/// <see cref="FrozenWeights"/>: inside a scope a convolution packs its weights once and reuses the copy. The results
/// must be bit-identical to packing in every call, on both forward paths (GEMM and direct) and the fused ones; the copy
/// must really be reused (a weight changed inside a scope keeps its packed copy — the documented contract) and dropped
/// when the last scope closes.
/// </summary>
[Collection(Training.ThreadCountCollection.Name)]
public class FrozenWeightsTests
{
    // N, C, H, W, O, K, stride, padding, groups; the path named is the one without Winograd, which the 3×3 stride-1 shapes
    // of 48+ channels in and out take first
    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes() => new()
    {
        { 5, 1, 28, 28, 16, 3, 1, 1, 1 },    // a 1-channel stem (direct kernel)
        { 3, 32, 14, 14, 32, 3, 1, 1, 1 },   // 14-wide map (direct kernel, Kg 288)
        { 1, 96, 7, 7, 96, 3, 1, 1, 1 },     // one 7×7 image (GEMM, rows cut in two tasks)
        { 4, 96, 7, 7, 96, 3, 1, 1, 1 },     // 4 images (GEMM, one per task)
        { 10, 96, 7, 7, 96, 3, 1, 1, 1 },    // 10 images (GEMM, side by side)
        { 2, 32, 14, 14, 96, 3, 2, 1, 1 },   // stride 2 to 7×7 (phase planes)
        { 3, 12, 9, 11, 10, 3, 1, 1, 2 },    // two groups
        { 2, 16, 8, 8, 24, 1, 1, 0, 1 },     // pointwise
        { 2, 300, 5, 6, 9, 3, 1, 1, 1 },     // Kg 2,700: several k blocks, O not a multiple of 8
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Conv2d_InsideAScope_BitIdenticalToPackingEveryCall(int n, int c, int h, int w, int o, int k, int stride, int pad, int groups)
    {
        // Each shape on its own path, and 3×3 stride-1 shapes of 48+ channels (Winograd) again on the path they take
        // without it (the direct kernel or the GEMM, as the comments say).
        Check(n, c, h, w, o, k, stride, pad, groups);
        using var other = Conv.DisableWinograd();
        Check(n, c, h, w, o, k, stride, pad, groups);
    }

    private static void Check(int n, int c, int h, int w, int o, int k, int stride, int pad, int groups)
    {
        var rng = new Rng(5);
        var x = Tensor.Randn(rng, [n, c, h, w]);
        var wt = Tensor.Randn(rng, [o, c / groups, k, k]);
        var b = Tensor.Randn(rng, [o]);
        using var noGrad = Engine.Autograd.NoGrad();
        var expected = F.Conv2d(x, wt, b, (stride, stride), (pad, pad), (1, 1), groups).ToArray();
        using (FrozenWeights.Freeze())
        {
            Assert.True(FrozenWeights.IsActive);
            var geometry = new ConvGeometry(n, c, h, w, o, k, k, (stride, stride), (pad, pad), (1, 1), groups);
            Assert.NotNull(Conv.PackedWeights(wt, geometry));
            for (int call = 0; call < 3; call++)
            {
                Assert.Equal(expected, F.Conv2d(x, wt, b, (stride, stride), (pad, pad), (1, 1), groups).ToArray());
            }

            // The fused inference op takes the packed copy too.
            var (mean, variance) = (Tensor.Randn(rng, [o]), Tensor.Rand(rng, [o]).Add(0.5));
            var fused = F.Conv2dNormAct(x, wt, b, (stride, stride), (pad, pad), (1, 1), groups, mean, variance, null, null, 1e-5, null, true);
            using (FrozenWeights.Freeze())
            {
                // nested: same copy
                Assert.Equal(fused.ToArray(), F.Conv2dNormAct(x, wt, b, (stride, stride), (pad, pad), (1, 1), groups, mean, variance, null,
                    null, 1e-5, null, true).ToArray());
            }

            Assert.True(FrozenWeights.IsActive);
            var separate = F.BatchNorm(F.Conv2d(x, wt, b, (stride, stride), (pad, pad), (1, 1), groups), mean, variance, null, null,
                training: false, eps: 1e-5).Relu();
            Assert.Equal(separate.ToArray(), fused.ToArray());
        }
    }

    [Fact]
    public void ProjectionPair_InsideAScope_BitIdentical()
    {
        var rng = new Rng(9);
        var x = Tensor.Randn(rng, [6, 16, 28, 28]);
        var wm = Tensor.Randn(rng, [32, 16, 3, 3]);
        var wp = Tensor.Randn(rng, [32, 16, 1, 1]);
        var norm = new EvalNorm(Tensor.Randn(rng, [32]), Tensor.Rand(rng, [32]).Add(0.5), null, null, 1e-5);
        var pnorm = new EvalNorm(Tensor.Randn(rng, [32]), Tensor.Rand(rng, [32]).Add(0.5), null, null, 1e-5);
        using var noGrad = Engine.Autograd.NoGrad();
        var expected = F.Conv2dNormActWithProjection(x, wm, (2, 2), (1, 1), norm, true, wp, pnorm);
        using var scope = FrozenWeights.Freeze();
        var frozen = F.Conv2dNormActWithProjection(x, wm, (2, 2), (1, 1), norm, true, wp, pnorm);
        Assert.Equal(expected is null, frozen is null);
        if (expected is { } e && frozen is { } f)
        {
            Assert.Equal(e.Main.ToArray(), f.Main.ToArray());
            Assert.Equal(e.Projection.ToArray(), f.Projection.ToArray());
        }
    }

    [Theory]
    [InlineData(3, 32, 14, 96, 1, false)]    // GEMM path
    [InlineData(3, 32, 14, 32, 1, false)]    // direct kernel (on AVX-512)
    [InlineData(3, 48, 14, 48, 1, true)]     // Winograd (on AVX-512)
    public void CopyIsReusedInsideTheScope_AndDroppedWhenItCloses(int n, int c, int h, int o, int stride, bool winograd)
    {
        using var path = winograd ? default(FastPathSwitch.Scope?) : Conv.DisableWinograd();
        var g = new ConvGeometry(n, c, h, h, o, 3, 3, (stride, stride), (1, 1), (1, 1), 1);
        Assert.Equal(winograd && Gemm.IsSupported(GemmPath.Avx512), Conv.UsesWinograd(g, GemmPath.Avx512));
        var rng = new Rng(17);
        var x = Tensor.Randn(rng, [n, c, h, h]);
        var wt = Tensor.Randn(rng, [o, c, 3, 3]);
        var other = Tensor.Randn(rng, [o, c, 3, 3]);
        using var noGrad = Engine.Autograd.NoGrad();
        var before = F.Conv2d(x, wt, null, stride, 1).ToArray();
        var otherExpected = F.Conv2d(x, other, null, stride, 1).ToArray();
        using (FrozenWeights.Freeze())
        {
            Assert.Equal(before, F.Conv2d(x, wt, null, stride, 1).ToArray());

            // Another tensor of the same shape has its own copy.
            Assert.Equal(otherExpected, F.Conv2d(x, other, null, stride, 1).ToArray());

            // The contract: a weight changed inside a scope keeps its packed copy (this is what shows the reuse).
            wt.Span.Fill(0.25f);
            Assert.Equal(before, F.Conv2d(x, wt, null, stride, 1).ToArray());
        }

        Assert.False(FrozenWeights.IsActive);
        var after = F.Conv2d(x, wt, null, stride, 1).ToArray();
        Assert.NotEqual(before, after);
        using (FrozenWeights.Freeze())
        {
            // A new scope packs the changed weight again.
            Assert.Equal(after, F.Conv2d(x, wt, null, stride, 1).ToArray());
        }
    }

    [Fact]
    public void OutsideAScope_NothingIsPacked_AndDisposeTwiceIsHarmless()
    {
        var wt = Tensor.Randn(new Rng(1), [8, 4, 3, 3]);
        var g = new ConvGeometry(2, 4, 8, 8, 8, 3, 3, (1, 1), (1, 1), (1, 1), 1);
        Assert.Null(Conv.PackedWeights(wt, g));
        var outer = FrozenWeights.Freeze();
        var inner = FrozenWeights.Freeze();
        inner.Dispose();
        inner.Dispose();
        Assert.True(FrozenWeights.IsActive);
        outer.Dispose();
        Assert.False(FrozenWeights.IsActive);
        Assert.Null(Conv.PackedWeights(wt, g));
        Assert.Null(Conv.PackedWeights(wt.ToDType(DType.Float64), g));
    }

    [Theory]
    [InlineData(1, 192, 576)]     // a ViT's qkv at batch 1 (CLS-token heads: one row)
    [InlineData(65, 192, 768)]    // fc1 over 65 tokens
    [InlineData(3, 600, 10)]      // in 600: three k blocks; an exit head's 10 classes (one partial panel)
    [InlineData(2, 40, 3100)]     // out 3,100: two column blocks of the GEMM (NC 3,072)
    [InlineData(7, 1, 33)]        // in 1
    [InlineData(300, 16, 8)]      // above 256 rows the GEMM packs the weights in every call, scope or not
    public void Linear_InsideAScope_BitIdenticalToPackingEveryCall(int rows, int inF, int outF)
    {
        var rng = new Rng(31);
        var x = Tensor.Randn(rng, [rows, inF]);
        var w = Tensor.Randn(rng, [outF, inF]);
        var b = Tensor.Randn(rng, [outF]);
        var r = Tensor.Randn(rng, [rows, outF]);
        using var noGrad = Engine.Autograd.NoGrad();
        var plain = F.Linear(x, w, b).ToArray();
        var gelu = F.LinearEpilogue(x, w, b, gelu: true).ToArray();
        var residual = F.LinearEpilogue(x, w, b, r).ToArray();
        var noBias = F.LinearEpilogue(x, w, null, r).ToArray();
        using var scope = FrozenWeights.Freeze();
        for (int call = 0; call < 2; call++)
        {
            Assert.Equal(plain, F.Linear(x, w, b).ToArray());
            Assert.Equal(gelu, F.LinearEpilogue(x, w, b, gelu: true).ToArray());
            Assert.Equal(residual, F.LinearEpilogue(x, w, b, r).ToArray());
            Assert.Equal(noBias, F.LinearEpilogue(x, w, null, r).ToArray());
        }

        // Reused up to 256 rows: a weight changed inside the scope keeps its packed copy (the contract); above, the
        // change is seen.
        w.Span.Fill(2f);
        if (rows <= 256)
        {
            Assert.Equal(plain, F.Linear(x, w, b).ToArray());
        }
        else
        {
            Assert.NotEqual(plain, F.Linear(x, w, b).ToArray());
        }
    }

    [Fact]
    public void AScopeBelongsToItsThread_OtherThreadsPackInEveryCall()
    {
        var rng = new Rng(23);
        var x = Tensor.Randn(rng, [2, 32, 14, 14]);
        var wt = Tensor.Randn(rng, [96, 32, 3, 3]);
        var g = new ConvGeometry(2, 32, 14, 14, 96, 3, 3, (1, 1), (1, 1), (1, 1), 1);
        using var noGrad = Engine.Autograd.NoGrad();
        var before = F.Conv2d(x, wt, null, 1, 1).ToArray();
        using var scope = FrozenWeights.Freeze();
        Assert.NotNull(Conv.PackedWeights(wt, g));

        // A training loop on another thread changes the weight: that thread sees no scope and uses the new values.
        float[]? other = null;
        bool otherActive = true;
        var t = new Thread(() =>
        {
            otherActive = FrozenWeights.IsActive;
            using var ng = Engine.Autograd.NoGrad();
            wt.Span.Fill(0.5f);
            other = F.Conv2d(x, wt, null, 1, 1).ToArray();
        });
        t.Start();
        t.Join();
        Assert.False(otherActive);
        Assert.NotEqual(before, other);

        // Disposing on another thread is refused.
        Exception? error = null;
        var u = new Thread(() => error = Record.Exception(scope.Dispose));
        u.Start();
        u.Join();
        Assert.IsType<InvalidOperationException>(error);
        Assert.True(FrozenWeights.IsActive);
    }
}
