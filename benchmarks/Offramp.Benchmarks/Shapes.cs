namespace Offramp.Benchmarks;

/// <summary>A GEMM problem C (M × N) = op(A) (M × K) · op(B) (K × N).</summary>
public sealed record GemmShape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false)
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

/// <summary>The shapes every benchmark mode measures.</summary>
public static class Shapes
{
    public static readonly GemmShape[] Gemm =
    [
        new("square 256", 256, 256, 256),
        new("square 512", 512, 512, 512),
        new("square 1024", 1024, 1024, 1024),
        new("im2col (64·196)×64×(9·64)", 64 * 196, 64, 9 * 64),
        new("im2col (64·196)×128×(9·128)", 64 * 196, 128, 9 * 128),
        new("linear b64 192→768 (x·Wᵀ)", 64, 768, 192, TransB: true),
        new("linear b64 768→192 dX (dY·W)", 64, 768, 192),
        new("linear 192×768 dW (dYᵀ·X)", 768, 192, 64, TransA: true),
        new("conv img 32×784×288 (W·col)", 32, 784, 288),
        new("conv img dX 288×784×32 (Wᵀ·dY)", 288, 784, 32, TransA: true),
        new("conv img dW 32×288×784 (dY·colᵀ)", 32, 288, 784, TransB: true),
    ];

    public static readonly ConvShape[] Conv =
    [
        new("N64 32→32 3×3 28×28", 64, 32, 28, 28, 32, 3, 1, 1, 1),
        new("N64 32→32 3×3 16×16", 64, 32, 16, 16, 32, 3, 1, 1, 1),
        new("N64 64→64 1×1 16×16", 64, 64, 16, 16, 64, 1, 1, 0, 1),
        new("N64 dw 64 3×3 28×28", 64, 64, 28, 28, 64, 3, 1, 1, 64),
        new("N64 dw 64 3×3 s2 28×28", 64, 64, 28, 28, 64, 3, 2, 1, 64),
    ];
}
