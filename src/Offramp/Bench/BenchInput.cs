namespace Offramp.Bench;

/// <summary>
/// An input geometry of the peer benchmark (<c>INPUTS</c> of <c>torch_bench.py</c>): <c>fm</c> = 1×28×28
/// (Fashion-MNIST), <c>c10</c> = 3×32×32 (CIFAR-10).
/// </summary>
/// <param name="Name">The short name used by both benchmarks (<c>fm</c>, <c>c10</c>).</param>
/// <param name="Channels">C.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
public sealed record BenchInput(string Name, int Channels, int Height, int Width)
{
    /// <summary>1×28×28 (Fashion-MNIST).</summary>
    public static BenchInput Fm { get; } = new("fm", 1, 28, 28);

    /// <summary>3×32×32 (CIFAR-10).</summary>
    public static BenchInput C10 { get; } = new("c10", 3, 32, 32);

    /// <summary>Every input, in the peer's order.</summary>
    public static IReadOnlyList<BenchInput> All { get; } = [Fm, C10];

    /// <summary>The shape of a batch of <paramref name="batch"/> images: (N, C, H, W).</summary>
    public int[] BatchShape(int batch) => [batch, Channels, Height, Width];

    /// <summary>The input named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No input has that name; the message lists the known ones.</exception>
    public static BenchInput Parse(string name) =>
        All.FirstOrDefault(i => i.Name == name)
        ?? throw new ArgumentException($"unknown bench input '{name}' (known: {string.Join(", ", All.Select(i => i.Name))})");
}
