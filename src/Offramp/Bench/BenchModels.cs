using Offramp.Engine;

namespace Offramp.Bench;

/// <summary>
/// The registry of peer-benchmark models, named as <c>torch_bench.py</c>'s <c>build</c> names them. The CLI's
/// <c>--model</c> and the model test matrix both come from <see cref="Names"/>.
/// </summary>
public static class BenchModels
{
    private static readonly (string Name, string Description, Func<BenchInput, Rng, int, BenchModel> Create)[] Variants =
    [
        ("cnn", "(a) ResNet 3 stages × 2 BasicBlocks, widths 32/64/128, GAP + Linear exit per stage",
            (input, rng, _) => new MultiExitResNet(input, rng)),
        ("vit", "(b) ViT patch 4, width 192, 3 heads, MLP ×4, CLS; LN + Linear exit every 2 blocks (depth = --vit-depth)",
            (input, rng, depth) => new MultiExitViT(input, rng, depth: depth)),
        ("vit12", "(b) with depth 12", (input, rng, _) => new MultiExitViT(input, rng, depth: 12)),
        ("dp", "(c) dual-branch CNN + 16×128 latents, cross-attention per stage, exit on mean-pooled latents",
            (input, rng, _) => new DualBranchPerceiver(input, rng)),
    ];

    /// <summary>Every registered name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Variants.Select(v => v.Name)];

    /// <summary>One line describing the model <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static string Describe(string name) => Find(name).Description;

    /// <summary>
    /// Builds the model <paramref name="name"/> for <paramref name="input"/> with 10 classes, initialised from
    /// <paramref name="rng"/>; <paramref name="vitDepth"/> is the depth of <c>vit</c> (the script's <c>--vit-depth</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name (the message lists the known ones) or invalid depth.</exception>
    public static BenchModel Create(string name, BenchInput input, Rng rng, int vitDepth = 6) =>
        Find(name).Create(input, rng, vitDepth);

    private static (string Name, string Description, Func<BenchInput, Rng, int, BenchModel> Create) Find(string name)
    {
        foreach (var v in Variants)
        {
            if (v.Name == name)
            {
                return v;
            }
        }

        throw new ArgumentException($"unknown bench model '{name}' (known: {string.Join(", ", Names)})");
    }
}
