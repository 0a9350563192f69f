namespace Offramp.Engine.Functional;

public static partial class F
{
    /// <summary>Max pooling. x: (N, C, H, W) → (N, C, OH, OW); padding counts as −∞ (PyTorch).</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride, int padding = 0) => throw Todo(nameof(MaxPool2d));

    /// <summary>Average pooling. x: (N, C, H, W); <paramref name="countIncludePad"/> as PyTorch (default true).</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride, int padding = 0, bool countIncludePad = true) => throw Todo(nameof(AvgPool2d));

    /// <summary>Adaptive average pooling to (outH, outW) with PyTorch's bin edges (floor/ceil).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor x, int outH, int outW) => throw Todo(nameof(AdaptiveAvgPool2d));

    /// <summary>Adaptive max pooling to (outH, outW) with PyTorch's bin edges.</summary>
    public static Tensor AdaptiveMaxPool2d(Tensor x, int outH, int outW) => throw Todo(nameof(AdaptiveMaxPool2d));
}
