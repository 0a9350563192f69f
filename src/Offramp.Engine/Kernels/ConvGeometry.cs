namespace Offramp.Engine.Kernels;

/// <summary>
/// Sizes of one 2-D convolution in PyTorch's layout: x (N, C, H, W), w (O, C/groups, KH, KW), y (N, O, OH, OW),
/// with OH = (H + 2·padH − dilH·(KH−1) − 1) / strideH + 1 (likewise OW).
/// </summary>
internal readonly record struct ConvGeometry(int N, int C, int H, int W, int O, int KH, int KW,
    (int H, int W) Stride, (int H, int W) Padding, (int H, int W) Dilation, int Groups)
{
    public int OH => ((H + (2 * Padding.H) - (Dilation.H * (KH - 1)) - 1) / Stride.H) + 1;

    public int OW => ((W + (2 * Padding.W) - (Dilation.W * (KW - 1)) - 1) / Stride.W) + 1;

    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int Og => O / Groups;

    /// <summary>Rows of one group's im2col matrix (= columns of its weight matrix): Cg·KH·KW.</summary>
    public int Kg => Cg * KH * KW;

    /// <summary>True for a 1×1, stride-1, unpadded convolution, whose im2col matrix is the input itself.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && Stride == (1, 1) && Padding == (0, 0);

    /// <summary>True for a depthwise convolution (one input channel per group), which takes the direct kernel.</summary>
    public bool IsDepthwise => Groups == C && Groups > 1;

    /// <summary>
    /// The output positions [lo, hi) along one axis whose input index o·stride + off lies in [0, size).
    /// </summary>
    public static (int Lo, int Hi) ValidRange(int outSize, int inSize, int stride, int off)
    {
        int lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
        int last = inSize - 1 - off;
        int hi = last < 0 ? 0 : Math.Min(outSize, (last / stride) + 1);
        return (Math.Min(lo, hi), hi);
    }
}
