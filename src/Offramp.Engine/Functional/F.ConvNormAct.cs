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

        var norm = new EvalNorm(runningMean, runningVar, bnWeight, bnBias, eps);
        norm.Check(x.DType, yShape, g.O);
        var (scale, shift) = norm.Affine(g.O);
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
                Conv.Forward(x.Span, w.Span, bs, output.Span, g, epilogue, Conv.PackedWeights(w, g));
            }
        }

        return output;
    }

    /// <summary>
    /// Inference-mode ResNet entry of a strided block in one pass over <paramref name="x"/>: the main branch's
    /// <c>relu?(batch_norm(conv2d(x, w)))</c> (odd square-ish kernel, "same" padding, no bias) and the projection
    /// shortcut <c>batch_norm(conv2d(x, wp))</c> (1×1, no padding, the same stride, no bias), the shortcut read from the
    /// phase planes the main convolution builds anyway (<see cref="Conv.ForwardWithProjection"/>). Both results are
    /// bit-identical to two <see cref="Conv2dNormAct"/> calls. Returns null — callers then make those two calls — when
    /// the pair cannot run this way: a gradient to record, float64, or shapes the direct kernel does not take.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or types disagree (the separate ops' checks and messages).</exception>
    internal static unsafe (Tensor Main, Tensor Projection)? Conv2dNormActWithProjection(Tensor x, Tensor w, (int H, int W) stride,
        (int H, int W) padding, EvalNorm norm, bool relu, Tensor wp, EvalNorm projectionNorm)
    {
        var g = ConvCheck(x, w, null, stride, padding, (1, 1), 1);
        var gp = ConvCheck(x, wp, null, stride, (0, 0), (1, 1), 1);
        if (x.DType != DType.Float32 || Autograd.ShouldRecord(x, w, wp, norm.Weight, norm.Bias, projectionNorm.Weight, projectionNorm.Bias)
            || !Conv.CanPairProjection(g, gp, Gemm.Current))
        {
            return null;
        }

        int[] yShape = [g.N, g.O, g.OH, g.OW], pShape = [g.N, gp.O, gp.OH, gp.OW];
        norm.Check(x.DType, yShape, g.O);
        projectionNorm.Check(x.DType, pShape, gp.O);
        var (scale, shift) = norm.Affine(g.O);
        var (pScale, pShift) = projectionNorm.Affine(gp.O);
        var output = TensorMemory.Uninitialized(yShape);
        var projected = TensorMemory.Uninitialized(pShape);
        fixed (float* pm = norm.RunningMean.Span, ps = scale, pt = shift, qm = projectionNorm.RunningMean.Span, qs = pScale, qt = pShift)
        {
            Conv.ForwardWithProjection(x.Span, w.Span, output.Span, g, new ConvEpilogue(pm, ps, pt, null, relu),
                wp.Span, projected.Span, gp, new ConvEpilogue(qm, qs, qt, null, false), Conv.PackedWeights(w, g));
        }

        return (output, projected);
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

/// <summary>An eval-mode BatchNorm's tensors (running statistics, optional affine parameters) and epsilon.</summary>
internal readonly record struct EvalNorm(Tensor RunningMean, Tensor RunningVar, Tensor? Weight, Tensor? Bias, double Eps)
{
    /// <summary>F.BatchNorm's checks of the per-channel tensors against an output of <paramref name="shape"/>.</summary>
    internal void Check(DType dtype, int[] shape, int channels)
    {
        F.CheckChannelParam(dtype, shape, RunningMean, channels, "running_mean");
        F.CheckChannelParam(dtype, shape, RunningVar, channels, "running_var");
        F.CheckChannelParam(dtype, shape, Weight, channels, "weight");
        F.CheckChannelParam(dtype, shape, Bias, channels, "bias");
    }

    /// <summary>Per-channel scale and shift exactly as <see cref="Norm.BatchNormForward{T}"/> computes them.</summary>
    internal (float[] Scale, float[] Shift) Affine(int channels)
    {
        var scale = new float[channels];
        var shift = new float[channels];
        var variance = RunningVar.Span;
        var bw = Weight is null ? default : Weight.Span;
        var bb = Bias is null ? default : Bias.Span;
        for (int ch = 0; ch < channels; ch++)
        {
            (_, scale[ch], shift[ch]) = Norm.ChannelAffine(variance[ch], (float)Eps, bw, bb, ch);
        }

        return (scale, shift);
    }
}
