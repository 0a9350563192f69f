// MobileNetV3 block settings: Howard et al., "Searching for MobileNetV3", ICCV 2019, Table 1 (Large), as
// torchvision.models.mobilenetv3.InvertedResidualConfig and _mobilenet_v3_conf (torchvision 0.14).
// Deviations: only the Large architecture (no Small, no reduced tail, no dilation), as the Dynamic Perceiver uses.
using Offramp.Models.Blocks;

namespace Offramp.Models.MobileNets;

/// <summary>
/// One inverted-residual block of MobileNetV3 (torchvision's <c>InvertedResidualConfig</c>), channels already scaled
/// by the width multiplier.
/// </summary>
/// <param name="InputChannels">Block input channels.</param>
/// <param name="Kernel">Depthwise kernel size (3 or 5).</param>
/// <param name="ExpandedChannels">Channels after the 1×1 expansion.</param>
/// <param name="OutChannels">Block output channels.</param>
/// <param name="UseSe">Whether the block has squeeze-and-excitation.</param>
/// <param name="UseHs">Hardswish (true, "HS") or ReLU (false, "RE").</param>
/// <param name="Stride">Depthwise stride (1 or 2).</param>
/// <param name="Dilation">Depthwise dilation (1 here).</param>
public sealed record InvertedResidualConfig(int InputChannels, int Kernel, int ExpandedChannels, int OutChannels,
    bool UseSe, bool UseHs, int Stride, int Dilation = 1)
{
    /// <summary>torchvision's <c>adjust_channels</c>: MakeDivisible(channels · width, 8).</summary>
    public static int AdjustChannels(int channels, double widthMult) =>
        ChannelRounding.MakeDivisible(channels * widthMult, 8);

    /// <summary>
    /// torchvision's <c>_mobilenet_v3_conf("mobilenet_v3_large", width_mult)</c>: the 15 blocks (paper Table 1) and
    /// the penultimate width <c>last_channel</c> = adjust(1280).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="widthMult"/> is not positive.</exception>
    public static (IReadOnlyList<InvertedResidualConfig> Settings, int LastChannel) Large(double widthMult)
    {
        if (!(widthMult > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(widthMult), $"MobileNetV3 width multiplier must be positive, got {widthMult}");
        }

        InvertedResidualConfig B(int cin, int k, int exp, int cout, bool se, string act, int stride) =>
            new(AdjustChannels(cin, widthMult), k, AdjustChannels(exp, widthMult), AdjustChannels(cout, widthMult),
                se, act == "HS", stride);

        InvertedResidualConfig[] settings =
        [
            B(16, 3, 16, 16, false, "RE", 1),
            B(16, 3, 64, 24, false, "RE", 2), // C1
            B(24, 3, 72, 24, false, "RE", 1),
            B(24, 5, 72, 40, true, "RE", 2), // C2
            B(40, 5, 120, 40, true, "RE", 1),
            B(40, 5, 120, 40, true, "RE", 1),
            B(40, 3, 240, 80, false, "HS", 2), // C3
            B(80, 3, 200, 80, false, "HS", 1),
            B(80, 3, 184, 80, false, "HS", 1),
            B(80, 3, 184, 80, false, "HS", 1),
            B(80, 3, 480, 112, true, "HS", 1),
            B(112, 3, 672, 112, true, "HS", 1),
            B(112, 5, 672, 160, true, "HS", 2), // C4
            B(160, 5, 960, 160, true, "HS", 1),
            B(160, 5, 960, 160, true, "HS", 1),
        ];
        return (settings, AdjustChannels(1280, widthMult)); // C5
    }
}
