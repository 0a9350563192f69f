namespace Offramp.Benchmarks;

/// <summary>A GEMM problem C (M × N) = op(A) (M × K) · op(B) (K × N); the name is short for BenchmarkDotNet's table.</summary>
public sealed record GemmShape(string Name, string Role, int M, int N, int K, bool TransA = false, bool TransB = false)
{
    public double Flops => 2.0 * M * N * K;

    public override string ToString() => Name;
}

/// <summary>A conv2d problem (PyTorch layout): x (N, C, H, W), w (O, C/groups, KH, KW).</summary>
public sealed record ConvShape(string Name, int N, int C, int H, int W, int O, int K, int Stride, int Padding, int Groups)
{
    public int OH => ((H + (2 * Padding) - K) / Stride) + 1;

    public int OW => ((W + (2 * Padding) - K) / Stride) + 1;

    public double Flops => 2.0 * N * O * OH * OW * (C / Groups) * K * K;

    public override string ToString() => Name;
}

/// <summary>The shapes every benchmark mode measures. GEMM names are M×N×K and the A/B transposition (N/T).</summary>
public static class Shapes
{
    public static readonly GemmShape[] Gemm =
    [
        new("256x256x256 NN", "square", 256, 256, 256),
        new("512x512x512 NN", "square", 512, 512, 512),
        new("1024x1024x1024 NN", "square", 1024, 1024, 1024),
        new("12544x64x576 NN", "im2col (64·196)×C×9C, C=64", 64 * 196, 64, 9 * 64),
        new("12544x128x1152 NN", "im2col (64·196)×C×9C, C=128", 64 * 196, 128, 9 * 128),
        new("64x768x192 NT", "Linear 192→768 fwd, batch 64", 64, 768, 192, TransB: true),
        new("4160x576x192 NT", "vit c10 qkv Linear fwd, batch 64 (65 tokens)", 4160, 576, 192, TransB: true),
        new("4160x192x768 NT", "vit c10 fc2 Linear fwd, batch 64", 4160, 192, 768, TransB: true),
        new("64x192x768 NN", "Linear 192→768 dX", 64, 192, 768),
        new("768x192x64 TN", "Linear 192→768 dW", 768, 192, 64, TransA: true),
        new("32x784x288 NN", "conv 32→32 3×3 28² fwd, 1 image", 32, 784, 288),
        new("288x784x32 TN", "conv dcol = Wᵀ·dY, 1 image", 288, 784, 32, TransA: true),
        new("32x288x784 NT", "conv dW = dY·colᵀ, 1 image", 32, 288, 784, TransB: true),
        new("128x10x4704 NT", "resnet_fm SDN head Linear 4704→10 fwd, batch 128", 128, 10, 4704, TransB: true),
        new("10x128x4704 NT", "the same, transposed: W·xᵀ", 10, 128, 4704, TransB: true),
        new("128x4704x10 NN", "the same Linear's dX = dY·W", 128, 4704, 10),
        new("10x4704x128 TN", "the same Linear's dW = dYᵀ·x", 10, 4704, 128, TransA: true),
    ];

    public static readonly ConvShape[] Conv =
    [
        new("N64 C32 3x3 28x28", 64, 32, 28, 28, 32, 3, 1, 1, 1),
        new("N64 C32 3x3 16x16", 64, 32, 16, 16, 32, 3, 1, 1, 1),
        new("N64 C64 1x1 16x16", 64, 64, 16, 16, 64, 1, 1, 0, 1),
        new("N64 dw64 3x3 28x28", 64, 64, 28, 28, 64, 3, 1, 1, 64),
        new("N64 dw64 3x3 s2 28", 64, 64, 28, 28, 64, 3, 2, 1, 64),
        new("N4 dw64 3x3 28x28", 4, 64, 28, 28, 64, 3, 1, 1, 64),
        new("N4 C32 3x3 28x28", 4, 32, 28, 28, 32, 3, 1, 1, 1),

        // The cnn bench model's shapes (ResNet, widths 32/64/128 on 28×28): batch-1 latency and its later stages.
        new("N1 C32 3x3 28x28", 1, 32, 28, 28, 32, 3, 1, 1, 1),
        new("N1 C128 3x3 7x7", 1, 128, 7, 7, 128, 3, 1, 1, 1),
        new("N64 C64→128 3x3 s2 14", 64, 64, 14, 14, 128, 3, 2, 1, 1),
        new("N64 C64→128 1x1 s2 14", 64, 64, 14, 14, 128, 1, 2, 0, 1),

        // resnet_fm (the default Fashion-MNIST model) at batch 64: stem, the first segment's block, the 7×7 stage.
        .. ResNetFm(64),
    ];

    /// <summary>resnet_fm's convolutions at the training batch (128), for `--conv-parts`.</summary>
    public static readonly ConvShape[] ConvTraining = ResNetFm(128);

    // Every convolution of resnet_fm (stem; block 16→32 s2 with its 1×1 shortcut; block 32→96 s2 with its shortcut;
    // the 96-channel 7×7 convolutions) at batch n.
    private static ConvShape[] ResNetFm(int n) =>
    [
        new($"fm N{n} C1→16 3x3 28 stem", n, 1, 28, 28, 16, 3, 1, 1, 1),
        new($"fm N{n} C16→32 3x3 s2 28", n, 16, 28, 28, 32, 3, 2, 1, 1),
        new($"fm N{n} C16→32 1x1 s2 28", n, 16, 28, 28, 32, 1, 2, 0, 1),
        new($"fm N{n} C32 3x3 14", n, 32, 14, 14, 32, 3, 1, 1, 1),
        new($"fm N{n} C32→96 3x3 s2 14", n, 32, 14, 14, 96, 3, 2, 1, 1),
        new($"fm N{n} C32→96 1x1 s2 14", n, 32, 14, 14, 96, 1, 2, 0, 1),
        new($"fm N{n} C96 3x3 7", n, 96, 7, 7, 96, 3, 1, 1, 1),
    ];
}
