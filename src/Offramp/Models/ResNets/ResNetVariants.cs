namespace Offramp.Models.ResNets;

/// <summary>
/// The named ResNets of the registry (timm's table of variants). Parameter counts at width 1 with the final exit
/// only: CIFAR ResNets with 3 input channels and 10 classes (option-B shortcuts; the paper's option-A figures in
/// brackets), ImageNet ResNets with 3 channels and 1000 classes (torchvision's figures).
/// </summary>
public static class ResNetVariants
{
    /// <summary>The variants: name, architecture, description.</summary>
    public static IReadOnlyList<(string Name, ResNetArch Arch, string Description)> All { get; } =
    [
        ("resnet8", ResNetArch.Cifar(8), "CIFAR ResNet-8 (6n+2, n=1), 78,042 params: the test- and CI-sized model"),
        ("resnet20", ResNetArch.Cifar(20), "CIFAR ResNet-20 (He et al. 2016 §4.2), 272,474 params (paper 0.27M)"),
        ("resnet32", ResNetArch.Cifar(32), "CIFAR ResNet-32, 466,906 params (paper 0.46M)"),
        ("resnet56", ResNetArch.Cifar(56), "CIFAR ResNet-56, 855,770 params (paper 0.85M)"),
        ("resnet110", ResNetArch.Cifar(110), "CIFAR ResNet-110, 1,730,714 params (paper 1.7M)"),
        ("resnet_fm", ResNetArch.FashionMnist(),
            "Offramp's Fashion-MNIST default: stem 16, 32 at 14², 2 blocks of 96 at 7², SDN heads, exit 1 at 18 % of the MACs"),
        ("resnet18", ResNetArch.ImageNet(ResNetBlockKind.Basic, 2, 2, 2, 2),
            "ImageNet ResNet-18 (torchvision), 11,689,512 params"),
        ("resnet34", ResNetArch.ImageNet(ResNetBlockKind.Basic, 3, 4, 6, 3),
            "ImageNet ResNet-34 (torchvision), 21,797,672 params"),
        ("resnet50", ResNetArch.ImageNet(ResNetBlockKind.Bottleneck, 3, 4, 6, 3),
            "ImageNet ResNet-50 (torchvision), 25,557,032 params"),
    ];

    /// <summary>Adds every variant to <paramref name="entries"/>.</summary>
    public static void Register(ICollection<ModelEntry> entries)
    {
        foreach (var (name, arch, description) in All)
        {
            entries.Add(new ModelEntry(name, arch.ImageNetStyle ? "resnet" : "resnet-cifar", description,
                options => new ResNet(arch, options)));
        }
    }
}
