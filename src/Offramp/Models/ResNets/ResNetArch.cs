namespace Offramp.Models.ResNets;

/// <summary>The residual block a <see cref="ResNet"/> stacks.</summary>
public enum ResNetBlockKind
{
    /// <summary><see cref="BasicBlock"/>: two 3×3 convs (ResNet-18/34 and the CIFAR ResNets).</summary>
    Basic,

    /// <summary><see cref="Bottleneck"/>: 1×1, 3×3, 1×1 (×4) convs (ResNet-50 and deeper).</summary>
    Bottleneck,
}

/// <summary>The stem of a <see cref="ResNet"/>.</summary>
public enum ResNetStem
{
    /// <summary>torchvision's ImageNet stem: 7×7 conv stride 2 (padding 3), BN, ReLU, 3×3 max pool stride 2
    /// (padding 1) — 4× downsampling, for 224×224 inputs.</summary>
    ImageNet,

    /// <summary>Small-input stem: 3×3 conv stride 1 (padding 1), BN, ReLU, no max pool (He et al. §4.2 for CIFAR;
    /// the usual adaptation of ImageNet ResNets to 28×28/32×32 inputs).</summary>
    Small,
}

/// <summary>
/// A ResNet architecture: block kind, blocks per stage and stage widths (planes, before the width multiplier and
/// the block's expansion). The first stage has stride <see cref="FirstStride"/> (1 unless overridden), every later
/// stage stride 2.
/// </summary>
/// <param name="Block">The residual block.</param>
/// <param name="Depths">Blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18, [3, 3, 3] for ResNet-20.</param>
/// <param name="Widths">Planes per stage, e.g. [64, 128, 256, 512] (ImageNet) or [16, 32, 64] (CIFAR).</param>
/// <param name="StemWidth">Channels of the stem conv (64 ImageNet, 16 CIFAR).</param>
/// <param name="ImageNetStyle">True for torchvision's ImageNet ResNets (the stem follows the input size or the
/// <c>stem</c> option); false for He et al.'s CIFAR ResNets (always the small stem).</param>
public sealed record ResNetArch(ResNetBlockKind Block, int[] Depths, int[] Widths, int StemWidth, bool ImageNetStyle)
{
    /// <summary>Stride of the first stage (1 as in the papers; 2 halves the resolution right after a small stem, the
    /// cheap layout of Offramp's Fashion-MNIST models). Every later stage has stride 2.</summary>
    public int FirstStride { get; init; } = 1;

    /// <summary>Stride of each stage's first block (1 or 2), or null for <see cref="FirstStride"/> then 2 for every
    /// later stage. Set by the option <c>strides</c> (e.g. <c>2/2/1/1</c>: keep the last two stages at 7×7 after a
    /// 28×28 stem).</summary>
    public int[]? Strides { get; init; }

    /// <summary>The stride of stage <paramref name="s"/>'s first block.</summary>
    public int StageStride(int s) => Strides is { } st ? st[s] : s > 0 ? 2 : FirstStride;

    /// <summary>The variant's exit placement when <see cref="ModelOptions.ExitAfter"/> is null (null = after every
    /// stage but the last).</summary>
    public int[]? DefaultExitAfter { get; init; }

    /// <summary>The variant's final exit when the option <c>final_head</c> is absent: "gap" (avgpool + fc) or "sdn".</summary>
    public string DefaultFinalHead { get; init; } = "gap";

    /// <summary>The variant's exit head when <see cref="ModelOptions.Head"/> is null (null = "linear").</summary>
    public string? DefaultHead { get; init; }

    /// <summary>
    /// This architecture with the overrides of <paramref name="extra"/> applied: <c>depths</c> and <c>widths</c>
    /// ('/'-separated, one per stage, e.g. <c>1/2/2</c> and <c>32/64/128</c>), <c>stem_width</c> and
    /// <c>first_stride</c> (1 or 2), <c>strides</c> (the first block's stride of every stage, each 1 or 2, e.g.
    /// <c>2/2/1/1</c>; replaces <c>first_stride</c>). Absent keys keep this architecture's values.
    /// </summary>
    /// <exception cref="ArgumentException">A value is not a positive integer (list), the lists differ in
    /// length, or a stride is not 1 or 2.</exception>
    public ResNetArch WithOverrides(IReadOnlyDictionary<string, string> extra)
    {
        var arch = this;
        if (extra.TryGetValue("depths", out var d))
        {
            // The variant's exit placement indexes its own blocks: other depths fall back to "after every stage".
            arch = arch with { Depths = ParseList("depths", d), DefaultExitAfter = null };
        }

        if (extra.TryGetValue("widths", out var w))
        {
            arch = arch with { Widths = ParseList("widths", w) };
        }

        if (extra.TryGetValue("stem_width", out var sw))
        {
            arch = arch with { StemWidth = ParseList("stem_width", sw) is [int one] ? one : throw Bad("stem_width", sw) };
        }

        if (extra.TryGetValue("first_stride", out var fs))
        {
            arch = arch with
            {
                FirstStride = fs is "1" or "2" ? fs[0] - '0'
                    : throw new ArgumentException($"ResNet: option 'first_stride' must be 1 or 2, got '{fs}'"),
            };
        }

        if (extra.TryGetValue("strides", out var st))
        {
            var strides = ParseList("strides", st);
            arch = arch with
            {
                Strides = strides.All(x => x is 1 or 2) ? strides
                    : throw new ArgumentException($"ResNet: option 'strides' must be 1 or 2 per stage, got '{st}'"),
                FirstStride = strides[0],
            };
        }

        if (arch.Strides is { } ss && ss.Length != arch.Depths.Length)
        {
            throw new ArgumentException($"ResNet: strides [{string.Join("/", ss)}] must name one stride per stage " +
                $"({arch.Depths.Length})");
        }

        if (arch.Depths.Length != arch.Widths.Length)
        {
            throw new ArgumentException($"ResNet: depths [{string.Join("/", arch.Depths)}] and widths " +
                $"[{string.Join("/", arch.Widths)}] must name the same number of stages");
        }

        return arch;
    }

    private static int[] ParseList(string key, string value)
    {
        var parts = value.Split('/');
        var list = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out list[i]) || list[i] <= 0 || list[i] > 4096)
            {
                throw Bad(key, value);
            }
        }

        return list;
    }

    private static ArgumentException Bad(string key, string value) =>
        new($"ResNet: option '{key}' must be positive integers (at most 4096) separated by '/', got '{value}'");

    /// <summary>He et al. §4.2 CIFAR ResNet of depth 6n+2: three stages of n basic blocks, widths 16/32/64.</summary>
    /// <exception cref="ArgumentException">depth − 2 is not a positive multiple of 6.</exception>
    public static ResNetArch Cifar(int depth)
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
        {
            throw new ArgumentException($"CIFAR ResNet depth must be 6n+2 with n ≥ 1, got {depth}", nameof(depth));
        }

        int n = (depth - 2) / 6;
        return new ResNetArch(ResNetBlockKind.Basic, [n, n, n], [16, 32, 64], 16, ImageNetStyle: false);
    }

    /// <summary>
    /// Offramp's default model for 28×28 Fashion-MNIST, chosen for early exit on two CPU cores: a 16-channel 3×3
    /// stem at 28², one block of 32 at 14² (first stage stride 2), two blocks of 96 at 7²; SDN pooled heads after
    /// blocks 0 and 1 and as the final exit. The first exit costs 18 % of the full model's 16.7 MMACs, the second 51 %.
    /// </summary>
    /// <remarks>Why this shape (the runs in docs/models/resnet-fm.md): with 32/64/128 channels at 14/7/4
    /// the 4×4 stage added nothing over the 7×7 exit, and a global-average-pool final exit trailed the SDN-headed exit
    /// before it; spending the MACs at 7×7 and keeping the spatial grid in the final head did better.</remarks>
    public static ResNetArch FashionMnist() =>
        new(ResNetBlockKind.Basic, [1, 2], [32, 96], 16, ImageNetStyle: false)
        {
            FirstStride = 2, DefaultExitAfter = [0, 1], DefaultHead = "sdn", DefaultFinalHead = "sdn",
        };

    /// <summary>torchvision's ImageNet ResNet: four stages, widths 64/128/256/512, stem 64.</summary>
    public static ResNetArch ImageNet(ResNetBlockKind block, params int[] depths) =>
        new(block, depths, [64, 128, 256, 512], 64, ImageNetStyle: true);

    /// <summary>Output channels per plane of <see cref="Block"/> (1 basic, 4 bottleneck).</summary>
    public int Expansion => Block == ResNetBlockKind.Basic ? BasicBlock.Expansion : Bottleneck.Expansion;

    /// <summary>Total number of blocks (the length of the flattened block list that exits index).</summary>
    public int BlockCount => Depths.Sum();
}
