// RegNet design space: Radosavovic, Kosaraju, Girshick, He, Dollár, "Designing Network Design Spaces", CVPR 2020
// (Sec. 3.3, the quantized linear parameterisation), as torchvision.models.regnet.BlockParams (torchvision 0.14).
// FromInitParams repeats torchvision's arithmetic in float32, the dtype its torch ops run in, so the rounding
// decisions (block capacity, quantisation to multiples of 8) come out the same.
// Offramp extension: Scale (a width multiplier; torchvision's RegNets have none).
using Offramp.Models.Blocks;

namespace Offramp.Models.RegNets;

/// <summary>
/// Per-stage settings of a RegNet (torchvision's <c>BlockParams</c>): blocks, output width, group width,
/// bottleneck multiplier and stride of every stage, and the SE ratio of every block.
/// </summary>
/// <param name="Depths">Blocks per stage.</param>
/// <param name="Widths">Output channels per stage.</param>
/// <param name="GroupWidths">Channels per group of the 3×3 grouped conv, per stage.</param>
/// <param name="BottleneckMultipliers">Bottleneck width / output width, per stage (1 for RegNetY).</param>
/// <param name="Strides">Stride of each stage's first block (2 in torchvision).</param>
/// <param name="SeRatio">SE squeeze width / block input width (0.25 for RegNetY), or null for no SE (RegNetX).</param>
public sealed record RegNetBlockParams(
    int[] Depths, int[] Widths, int[] GroupWidths, double[] BottleneckMultipliers, int[] Strides, double? SeRatio)
{
    /// <summary>Number of stages.</summary>
    public int StageCount => Depths.Length;

    /// <summary>
    /// torchvision's <c>BlockParams.from_init_params</c>: block widths u_j = w_0 + w_a·j (j &lt; depth), quantized in
    /// log space to w_0·w_m^round(log(u_j/w_0)/log(w_m)) and rounded to multiples of 8; runs of equal widths are
    /// stages (stride 2 each); then widths and group widths are made compatible
    /// (<see cref="AdjustWidthsGroupsCompatibility"/>).
    /// </summary>
    /// <exception cref="ArgumentException">w_a &lt; 0, w_0 ≤ 0, w_m ≤ 1, w_0 not a multiple of 8, or depth ≤ 0
    /// (torchvision: "Invalid RegNet settings").</exception>
    public static RegNetBlockParams FromInitParams(int depth, int w0, double wa, double wm, int groupWidth,
        double bottleneckMultiplier = 1.0, double? seRatio = null)
    {
        const int quant = 8, stride = 2;
        if (wa < 0 || w0 <= 0 || wm <= 1 || w0 % 8 != 0 || depth <= 0 || groupWidth <= 0)
        {
            throw new ArgumentException($"Invalid RegNet settings: depth={depth}, w_0={w0}, w_a={wa}, w_m={wm}, " +
                $"group_width={groupWidth}");
        }

        // torch: widths_cont = arange(depth) * w_a + w_0; block_capacity = round(log(widths_cont / w_0) /
        // math.log(w_m)); block_widths = round(w_0 * pow(w_m, block_capacity) / QUANT) * QUANT — all float32 (the
        // Python scalars are cast to float32), torch.round rounds half to even as MathF.Round does.
        float fw0 = w0, fwa = (float)wa, fwm = (float)wm, logWm = (float)Math.Log(wm);
        var blockWidths = new int[depth];
        for (int j = 0; j < depth; j++)
        {
            float cont = (j * fwa) + fw0;
            float capacity = MathF.Round(MathF.Log(cont / fw0) / logWm);
            blockWidths[j] = (int)(MathF.Round(fw0 * MathF.Pow(fwm, capacity) / quant) * quant);
        }

        // A stage starts wherever the width changes.
        var widths = new List<int>();
        var depths = new List<int>();
        for (int j = 0; j < depth; j++)
        {
            if (j == 0 || blockWidths[j] != blockWidths[j - 1])
            {
                widths.Add(blockWidths[j]);
                depths.Add(0);
            }

            depths[^1]++;
        }

        int n = widths.Count;
        var multipliers = Enumerable.Repeat(bottleneckMultiplier, n).ToArray();
        var (w, g) = AdjustWidthsGroupsCompatibility([.. widths], multipliers, [.. Enumerable.Repeat(groupWidth, n)]);
        return new RegNetBlockParams([.. depths], w, g, multipliers, [.. Enumerable.Repeat(stride, n)], seRatio);
    }

    /// <summary>
    /// torchvision's <c>_adjust_widths_groups_compatibilty</c>: the bottleneck width int(w·b) caps the group width,
    /// then is rounded (<see cref="ChannelRounding.MakeDivisible"/>) to a multiple of it, and the stage width
    /// becomes int(bottleneck width / b).
    /// </summary>
    public static (int[] Widths, int[] GroupWidths) AdjustWidthsGroupsCompatibility(
        int[] stageWidths, double[] bottleneckRatios, int[] groupWidths)
    {
        var widths = new int[stageWidths.Length];
        var groups = new int[stageWidths.Length];
        for (int i = 0; i < stageWidths.Length; i++)
        {
            int wBot = (int)(stageWidths[i] * bottleneckRatios[i]);
            groups[i] = Math.Min(groupWidths[i], wBot);
            widths[i] = (int)(ChannelRounding.MakeDivisible(wBot, groups[i]) / bottleneckRatios[i]);
        }

        return (widths, groups);
    }

    /// <summary>
    /// Offramp's width multiplier (torchvision's RegNets have none): every stage width becomes
    /// <see cref="ChannelRounding.MakeDivisible"/>(w·<paramref name="multiplier"/>, 8), then widths and group widths
    /// are made compatible again. A multiplier of 1 returns the same settings.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multiplier"/> is not positive.</exception>
    public RegNetBlockParams Scale(double multiplier)
    {
        if (!(multiplier > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(multiplier), $"RegNet width multiplier must be positive, got {multiplier}");
        }

        if (multiplier == 1.0)
        {
            return this;
        }

        int[] scaled = [.. Widths.Select(w => ChannelRounding.MakeDivisible(w * multiplier, 8))];
        var (w, g) = AdjustWidthsGroupsCompatibility(scaled, BottleneckMultipliers, GroupWidths);
        return this with { Widths = w, GroupWidths = g };
    }
}
