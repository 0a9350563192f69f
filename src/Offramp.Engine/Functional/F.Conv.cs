namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as PyTorch). x: (N, C, H, W), w: (O, C/groups, KH, KW), b: (O) or null
    /// → (N, O, OH, OW) with OH = (H + 2·padH − dilH·(KH−1) − 1)/strideH + 1.
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1)
        => throw Todo(nameof(Conv2d));

    /// <summary>Square-parameter overload of <see cref="Conv2d(Tensor, Tensor, Tensor?, ValueTuple{int,int}, ValueTuple{int,int}, ValueTuple{int,int}, int)"/>.</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? b = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(x, w, b, (stride, stride), (padding, padding), (dilation, dilation), groups);
}
