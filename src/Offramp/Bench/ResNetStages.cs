using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// The convolutional trunk shared by the cnn and dp models (<c>make_stages</c> of <c>torch_bench.py</c>):
/// a stem (3×3 convolution, BatchNorm, ReLU as <c>stem.0..2</c>) and stages of <see cref="BasicBlock"/>s
/// (<c>stages.i.j</c>), the first block of every stage after the first with stride 2.
/// </summary>
internal static class ResNetStages
{
    /// <summary>The widths of the peer's models: 32/64/128.</summary>
    public static readonly int[] Widths = [32, 64, 128];

    /// <summary>Blocks per stage in the peer's models.</summary>
    public const int BlocksPerStage = 2;

    /// <summary>Builds the stem and the stages.</summary>
    public static (Sequential Stem, ModuleList<Sequential> Stages) Make(int inChannels, int[] widths, int blocks, Rng rng)
    {
        var stem = new Sequential(new Conv2d(inChannels, widths[0], 3, rng, 1, padding: 1, bias: false),
            new BatchNorm2d(widths[0]), new ReLU());
        var stages = new ModuleList<Sequential>();
        int cin = widths[0];
        for (int i = 0; i < widths.Length; i++)
        {
            var layers = new Sequential();
            for (int b = 0; b < blocks; b++)
            {
                layers.Append(new BasicBlock(cin, widths[i], i > 0 && b == 0 ? 2 : 1, rng));
                cin = widths[i];
            }

            stages.Add(layers);
        }

        return (stem, stages);
    }

    /// <summary>The stem of <see cref="Make"/> (conv, BatchNorm, ReLU); fused into one pass in eval mode.</summary>
    public static Tensor StemForward(Sequential stem, Tensor x) =>
        ((Conv2d)stem[0]).ForwardNormAct(x, (BatchNorm2d)stem[1], relu: true);

    /// <summary>
    /// Per stage i: the MACs per image of stage i (stage 0 includes the stem), and its output (C, H, W).
    /// </summary>
    public static (long Macs, int C, int H, int W)[] StageMacs(Sequential stem, ModuleList<Sequential> stages, int h, int w)
    {
        var result = new (long, int, int, int)[stages.Count];
        var stemConv = (Conv2d)stem[0];
        long m = Macs.Conv(stemConv, ref h, ref w);
        int c = stemConv.OutChannels;
        for (int i = 0; i < stages.Count; i++)
        {
            foreach (var block in stages[i].Cast<BasicBlock>())
            {
                m += block.Macs(ref h, ref w);
                c = block.Conv2.OutChannels;
            }

            result[i] = (m, c, h, w);
            m = 0;
        }

        return result;
    }
}
