using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as PyTorch's <c>conv2d</c>). x: (N, C, H, W), w: (O, C/groups, KH, KW),
    /// b: (O) or null → (N, O, OH, OW) with OH = (H + 2·padH − dilH·(KH−1) − 1)/strideH + 1 (likewise OW).
    /// </summary>
    /// <remarks>
    /// Float32 runs im2col + GEMM per image and group, or a direct kernel when the convolution is depthwise
    /// (groups == C); float64 runs the naive reference. Backward gives dX, dW and db.
    /// </remarks>
    /// <exception cref="ArgumentException">Ranks, channel counts, groups, or sizes do not fit; the message names the shapes.</exception>
    [Differentiable("conv2d")]
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1)
    {
        var g = ConvCheck(x, w, b, stride, padding, dilation, groups);
        // Float32 kernels overwrite every output element: no zero-fill.
        int[] yShape = [g.N, g.O, g.OH, g.OW];
        var y = x.DType == DType.Float32 ? TensorMemory.Uninitialized(yShape) : Tensor.Empty(yShape, x.DType);
        if (x.DType == DType.Float32)
        {
            var bs = b is null ? default : b.Span;
            if (g.IsDepthwise)
            {
                ConvDepthwise.Forward(x.Span, w.Span, bs, y.Span, g);
            }
            else
            {
                Conv.Forward(x.Span, w.Span, bs, y.Span, g, prepacked: Conv.PackedWeights(w, g));
            }
        }
        else
        {
            ConvReference.Forward<double>(x.Data<double>(), w.Data<double>(), b is null ? default : b.Data<double>(), y.Data<double>(), g);
        }

        if (Autograd.ShouldRecord(x, w, b))
        {
            Autograd.Record(y, "conv2d", [x, w, b], gy => [
                x.RequiresGrad ? ConvInputGrad(gy, w, g) : null,
                w.RequiresGrad ? ConvWeightGrad(x, gy, g) : null,
                b is not null && b.RequiresGrad ? ConvBiasGrad(gy, g) : null]);
        }

        return y;
    }

    /// <summary>Square-parameter overload of <see cref="Conv2d(Tensor, Tensor, Tensor?, ValueTuple{int,int}, ValueTuple{int,int}, ValueTuple{int,int}, int)"/>.</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(x, w, b, (stride, stride), (padding, padding), (dilation, dilation), groups);

    private static Tensor ConvInputGrad(Tensor gy, Tensor w, ConvGeometry g)
    {
        int[] gxShape = [g.N, g.C, g.H, g.W];
        var gx = gy.DType == DType.Float32 ? TensorMemory.Uninitialized(gxShape) : Tensor.Empty(gxShape, gy.DType);
        if (gy.DType == DType.Float32)
        {
            if (g.IsDepthwise)
            {
                ConvDepthwise.BackwardInput(gy.Span, w.Span, gx.Span, g);
            }
            else
            {
                Conv.BackwardInput(gy.Span, w.Span, gx.Span, g);
            }
        }
        else
        {
            ConvReference.BackwardInput<double>(gy.Data<double>(), w.Data<double>(), gx.Data<double>(), g);
        }

        return gx;
    }

    private static Tensor ConvWeightGrad(Tensor x, Tensor gy, ConvGeometry g)
    {
        int[] gwShape = [g.O, g.Cg, g.KH, g.KW];
        var gw = gy.DType == DType.Float32 ? TensorMemory.Uninitialized(gwShape) : Tensor.Empty(gwShape, gy.DType);
        if (gy.DType == DType.Float32)
        {
            if (g.IsDepthwise)
            {
                ConvDepthwise.BackwardWeight(x.Span, gy.Span, gw.Span, g);
            }
            else
            {
                Conv.BackwardWeight(x.Span, gy.Span, gw.Span, g);
            }
        }
        else
        {
            ConvReference.BackwardWeight<double>(x.Data<double>(), gy.Data<double>(), gw.Data<double>(), g);
        }

        return gw;
    }

    private static Tensor ConvBiasGrad(Tensor gy, ConvGeometry g)
    {
        var gb = Tensor.Empty([g.O], gy.DType);
        if (gy.DType == DType.Float32)
        {
            Conv.BackwardBias(gy.Span, gb.Span, g.N, g.O, g.OH * g.OW);
        }
        else
        {
            ConvReference.BackwardBias<double>(gy.Data<double>(), gb.Data<double>(), g);
        }

        return gb;
    }

    private static ConvGeometry ConvCheck(Tensor x, Tensor w, Tensor? b, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups)
    {
        string xs = Shape.Format(x.Shape), ws = Shape.Format(w.Shape);
        if (x.Rank != 4 || w.Rank != 4)
        {
            throw new ArgumentException($"conv2d: input {xs} and weight {ws} must both be 4-D (N, C, H, W) and (O, C/groups, KH, KW)");
        }

        x.CheckSameDType(w, "conv2d");
        if (b is not null)
        {
            x.CheckSameDType(b, "conv2d");
        }

        if (stride.H < 1 || stride.W < 1 || dilation.H < 1 || dilation.W < 1 || padding.H < 0 || padding.W < 0)
        {
            throw new ArgumentException($"conv2d: stride {stride} and dilation {dilation} must be ≥ 1 and padding {padding} ≥ 0");
        }

        int c = x.Shape[1], o = w.Shape[0];
        if (groups < 1 || c % groups != 0 || o % groups != 0)
        {
            throw new ArgumentException($"conv2d: groups={groups} must divide the input channels of {xs} and the output channels of weight {ws}");
        }

        if (w.Shape[1] * groups != c)
        {
            throw new ArgumentException($"conv2d: input {xs} has {c} channels but weight {ws} expects {w.Shape[1] * groups} (groups={groups})");
        }

        if (b is not null && (b.Rank != 1 || b.Shape[0] != o))
        {
            throw new ArgumentException($"conv2d: bias {Shape.Format(b.Shape)} does not match weight {ws}: expected ({o},)");
        }

        var g = new ConvGeometry(x.Shape[0], c, x.Shape[2], x.Shape[3], o, w.Shape[2], w.Shape[3], stride, padding, dilation, groups);
        if (g.H + (2 * padding.H) < (dilation.H * (g.KH - 1)) + 1 || g.W + (2 * padding.W) < (dilation.W * (g.KW - 1)) + 1
            || g.KH < 1 || g.KW < 1)
        {
            throw new ArgumentException($"conv2d: input {xs} padded by {padding} is smaller than the kernel of weight {ws} (dilation {dilation})");
        }

        return g;
    }
}
