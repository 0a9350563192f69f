using Offramp.Engine.Functional;

namespace Offramp.Engine.Nn;

/// <summary>
/// 2-D convolution (<c>torch.nn.Conv2d</c>, zero padding). Parameters <c>weight</c> (O, C/groups, KH, KW) and
/// <c>bias</c> (O), initialised as PyTorch: kaiming_uniform_(a=√5), bias U(±1/√fan_in), fan_in = C/groups·KH·KW.
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Square kernel, stride, padding and dilation.</summary>
    /// <exception cref="ArgumentException">See the tuple overload.</exception>
    public Conv2d(int inChannels, int outChannels, int kernelSize, Rng rng, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true)
        : this(inChannels, outChannels, (kernelSize, kernelSize), rng, (stride, stride), (padding, padding),
            (dilation, dilation), groups, bias)
    {
    }

    /// <summary>Creates the layer and initialises it from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentException">Channels not divisible by <paramref name="groups"/>, a non-positive
    /// kernel, stride, dilation or group count, or a negative padding.</exception>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, Rng rng, (int H, int W) stride,
        (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true)
    {
        if (groups <= 0 || inChannels <= 0 || outChannels <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"Conv2d: in_channels={inChannels} and out_channels={outChannels} must be positive and divisible by groups={groups}");
        }

        if (kernelSize.H <= 0 || kernelSize.W <= 0 || stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0
            || padding.H < 0 || padding.W < 0)
        {
            throw new ArgumentException($"Conv2d: invalid kernel_size={kernelSize}, stride={stride}, padding={padding}, dilation={dilation}");
        }

        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        Weight = RegisterParameter("weight", NewTensor(outChannels, inChannels / groups, kernelSize.H, kernelSize.W));
        Bias = bias ? RegisterParameter("bias", NewTensor(outChannels)) : null;
        Init.DefaultLinearOrConv(Weight, Bias, rng);
    }

    /// <summary>Input channels C.</summary>
    public int InChannels { get; }

    /// <summary>Output channels O.</summary>
    public int OutChannels { get; }

    /// <summary>(KH, KW).</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Stride.</summary>
    public (int H, int W) Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public (int H, int W) Padding { get; }

    /// <summary>Dilation.</summary>
    public (int H, int W) Dilation { get; }

    /// <summary>Channel groups (C for depthwise).</summary>
    public int Groups { get; }

    /// <summary>Weight, (O, C/groups, KH, KW).</summary>
    public Tensor Weight { get; }

    /// <summary>Bias, (O), or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// x: (N, C, H, W) → (N, O, OH, OW) with OH = ⌊(H + 2·padH − dilH·(KH−1) − 1)/strideH⌋ + 1 (OW likewise).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not 4-D with <see cref="InChannels"/> channels.</exception>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
        {
            throw new ArgumentException($"Conv2d(in_channels={InChannels}) expects (N, {InChannels}, H, W), got input {Shape.Format(x.Shape)}");
        }

        return F.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);
    }

    /// <summary>
    /// <c>relu?(bn(this(x)) + residual?)</c>. With <paramref name="bn"/> in eval mode with running statistics this is
    /// one fused pass (<see cref="F.Conv2dNormAct"/>, bit-identical to the separate ops); in training mode it is the
    /// convolution, then <see cref="BatchNorm.ForwardAct"/> (batch statistics, running-stat updates, the residual and
    /// ReLU in BatchNorm's pass — again bit-identical to the separate ops).
    /// </summary>
    /// <param name="x">Input (N, InChannels, H, W).</param>
    /// <param name="bn">The BatchNorm that follows this convolution.</param>
    /// <param name="residual">Added after the BatchNorm, or null.</param>
    /// <param name="relu">Apply ReLU last.</param>
    /// <returns>(N, OutChannels, OH, OW).</returns>
    /// <exception cref="ArgumentException">The input's channels are not <see cref="InChannels"/>, or
    /// <paramref name="bn"/> does not have <see cref="OutChannels"/> features.</exception>
    public Tensor ForwardNormAct(Tensor x, BatchNorm2d bn, Tensor? residual = null, bool relu = false)
    {
        ArgumentNullException.ThrowIfNull(bn);
        if (bn.NumFeatures != OutChannels)
        {
            throw new ArgumentException($"Conv2d(out_channels={OutChannels}) is followed by BatchNorm2d({bn.NumFeatures})");
        }

        if (bn.Training || bn.RunningMean is null)
        {
            // Batch statistics: the convolution, then BatchNorm with the residual and ReLU in its normalising pass
            // (F.BatchNormAct, bit-identical to the separate ops); a residual that would broadcast takes them apart.
            var y = Forward(x);
            return residual is null || (Shape.Equal(residual.Shape, y.Shape) && residual.DType == y.DType)
                ? bn.ForwardAct(y, residual, relu)
                : F.ResidualRelu(bn.Forward(y), residual, relu);
        }

        if (x.Rank != 4 || x.Shape[1] != InChannels)
        {
            throw new ArgumentException($"Conv2d(in_channels={InChannels}) expects (N, {InChannels}, H, W), got input {Shape.Format(x.Shape)}");
        }

        return F.Conv2dNormAct(x, Weight, Bias, Stride, Padding, Dilation, Groups, bn.RunningMean, bn.RunningVar!, bn.Weight,
            bn.Bias, bn.Eps, residual, relu);
    }

    /// <summary>
    /// Eval mode: <see cref="ForwardNormAct"/> of this convolution and of a ResNet projection shortcut over the same
    /// input (<paramref name="projection"/>: 1×1, no padding, this stride; e.g. torchvision's <c>downsample</c>) in one
    /// pass over <paramref name="x"/>, bit-identical to the two calls. Null — the caller then makes the two calls —
    /// in training mode, when a gradient is recorded, for float64, with biases, groups or dilation, or for shapes the
    /// direct convolution kernel does not take.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or channel counts disagree.</exception>
    public (Tensor Main, Tensor Projection)? TryForwardNormActWithProjection(Tensor x, BatchNorm2d bn, bool relu, Conv2d projection,
        BatchNorm2d projectionBn)
    {
        ArgumentNullException.ThrowIfNull(bn);
        ArgumentNullException.ThrowIfNull(projection);
        ArgumentNullException.ThrowIfNull(projectionBn);
        if (bn.Training || projectionBn.Training || bn.RunningMean is null || projectionBn.RunningMean is null || Bias is not null
            || projection.Bias is not null || Groups != 1 || projection.Groups != 1 || Dilation != (1, 1)
            || projection.Dilation != (1, 1) || projection.KernelSize != (1, 1) || projection.Padding != (0, 0)
            || projection.Stride != Stride || bn.NumFeatures != OutChannels || projectionBn.NumFeatures != projection.OutChannels)
        {
            return null;
        }

        return F.Conv2dNormActWithProjection(x, Weight, Stride, Padding,
            new EvalNorm(bn.RunningMean, bn.RunningVar!, bn.Weight, bn.Bias, bn.Eps), relu, projection.Weight,
            new EvalNorm(projectionBn.RunningMean, projectionBn.RunningVar!, projectionBn.Weight, projectionBn.Bias, projectionBn.Eps));
    }

    /// <summary>
    /// <see cref="ForwardNormAct"/> of this convolution (with <paramref name="relu"/>) and of a projection shortcut
    /// over the same input, in either mode: one pass where <see cref="TryForwardNormActWithProjection"/> pairs them,
    /// else the two calls, this convolution first. The results are the same either way.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or channel counts disagree.</exception>
    public (Tensor Main, Tensor Projection) ForwardNormActWithProjection(Tensor x, BatchNorm2d bn, bool relu, Conv2d projection,
        BatchNorm2d projectionBn) =>
        TryForwardNormActWithProjection(x, bn, relu, projection, projectionBn) is { } pair
            ? pair
            : (ForwardNormAct(x, bn, relu: relu), projection.ForwardNormAct(x, projectionBn));

    /// <summary>Output spatial size for an input of <paramref name="h"/>×<paramref name="w"/>.</summary>
    public (int H, int W) OutputSize(int h, int w) => (
        (h + 2 * Padding.H - Dilation.H * (KernelSize.H - 1) - 1) / Stride.H + 1,
        (w + 2 * Padding.W - Dilation.W * (KernelSize.W - 1) - 1) / Stride.W + 1);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = $"{InChannels}, {OutChannels}, kernel_size=({KernelSize.H}, {KernelSize.W}), stride=({Stride.H}, {Stride.W})";
        if (Padding != (0, 0))
        {
            s += $", padding=({Padding.H}, {Padding.W})";
        }

        if (Dilation != (1, 1))
        {
            s += $", dilation=({Dilation.H}, {Dilation.W})";
        }

        if (Groups != 1)
        {
            s += $", groups={Groups}";
        }

        return Bias is null ? s + ", bias=False" : s;
    }
}
