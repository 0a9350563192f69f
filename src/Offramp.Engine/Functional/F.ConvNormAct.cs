using Offramp.Engine.Kernels;

namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// Inference-mode <c>relu?(batch_norm(conv2d(x, w, b), running stats) + residual?)</c> in one pass: the
    /// convolution applies the BatchNorm (with its running statistics), the residual and the ReLU to each output tile
    /// while it is still in cache, instead of four passes over the whole output. The result is bit-identical to the
    /// separate ops — <see cref="Conv2d(Tensor, Tensor, Tensor?, ValueTuple{int, int}, ValueTuple{int, int}, ValueTuple{int, int}, int)"/>,
    /// <see cref="BatchNorm"/> with <c>training: false</c>, <c>Tensor.Add</c>, <c>Tensor.Relu</c> — which it runs
    /// instead when a gradient must be recorded, for float64, or when the residual's shape is not the output's.
    /// </summary>
    /// <param name="x">Input (N, C, H, W).</param>
    /// <param name="w">Convolution weight (O, C/groups, KH, KW).</param>
    /// <param name="b">Convolution bias (O) or null.</param>
    /// <param name="stride">Stride (H, W).</param>
    /// <param name="padding">Zero padding (H, W).</param>
    /// <param name="dilation">Dilation (H, W).</param>
    /// <param name="groups">Groups.</param>
    /// <param name="runningMean">BatchNorm running mean (O).</param>
    /// <param name="runningVar">BatchNorm running variance (O).</param>
    /// <param name="bnWeight">BatchNorm weight (O) or null (not affine).</param>
    /// <param name="bnBias">BatchNorm bias (O) or null (not affine).</param>
    /// <param name="eps">BatchNorm epsilon.</param>
    /// <param name="residual">Added after the BatchNorm, or null.</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <returns>(N, O, OH, OW).</returns>
    /// <exception cref="ArgumentException">Shapes or types disagree (the separate ops' checks and messages).</exception>
    public static unsafe Tensor Conv2dNormAct(Tensor x, Tensor w, Tensor? b, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups, Tensor runningMean, Tensor runningVar, Tensor? bnWeight, Tensor? bnBias,
        double eps, Tensor? residual = null, bool relu = false)
    {
        ArgumentNullException.ThrowIfNull(runningMean);
        ArgumentNullException.ThrowIfNull(runningVar);
        var g = ConvCheck(x, w, b, stride, padding, dilation, groups);
        int[] yShape = [g.N, g.O, g.OH, g.OW];
        bool fused = x.DType == DType.Float32 && !Autograd.ShouldRecord(x, w, b, bnWeight, bnBias, residual)
            && (residual is null || (residual.DType == DType.Float32 && residual.Shape.AsSpan().SequenceEqual(yShape)));
        if (!fused)
        {
            return ResidualRelu(BatchNorm(Conv2d(x, w, b, stride, padding, dilation, groups), runningMean, runningVar, bnWeight,
                bnBias, training: false, eps: eps), residual, relu);
        }

        // F.BatchNorm's checks of its per-channel tensors, against the convolution's output.
        CheckChannelParam(x.DType, yShape, runningMean, g.O, "running_mean");
        CheckChannelParam(x.DType, yShape, runningVar, g.O, "running_var");
        CheckChannelParam(x.DType, yShape, bnWeight, g.O, "weight");
        CheckChannelParam(x.DType, yShape, bnBias, g.O, "bias");

        // Per-channel operands exactly as Norm.BatchNormForward computes them.
        var scale = new float[g.O];
        var shift = new float[g.O];
        var variance = runningVar.Span;
        var bw = bnWeight is null ? default : bnWeight.Span;
        var bb = bnBias is null ? default : bnBias.Span;
        for (int ch = 0; ch < g.O; ch++)
        {
            (_, scale[ch], shift[ch]) = Norm.ChannelAffine(variance[ch], (float)eps, bw, bb, ch);
        }

        var output = TensorMemory.Uninitialized(yShape);
        fixed (float* pm = runningMean.Span, ps = scale, pt = shift, pr = residual is null ? default : residual.Span)
        {
            var epilogue = new ConvEpilogue(pm, ps, pt, residual is null ? null : pr, relu);
            var bs = b is null ? default : b.Span;
            if (g.IsDepthwise)
            {
                ConvDepthwise.Forward(x.Span, w.Span, bs, output.Span, g);
                fixed (float* py = output.Span)
                {
                    epilogue.ApplyAll(py, g.N, g.O, g.OH * g.OW);
                }
            }
            else
            {
                Conv.Forward(x.Span, w.Span, bs, output.Span, g, epilogue);
            }
        }

        return output;
    }

    /// <summary>The unfused tail of <see cref="Conv2dNormAct"/>: <c>relu?(y + residual?)</c> as separate ops.</summary>
    internal static Tensor ResidualRelu(Tensor y, Tensor? residual, bool relu)
    {
        if (residual is not null)
        {
            y = y.Add(residual);
        }

        return relu ? y.Relu() : y;
    }
}
