using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Bench;

/// <summary>
/// The ResNet basic block of <c>torch_bench.py</c> (He et al. 2016, "Deep Residual Learning", Fig. 2 left):
/// relu(bn2(conv2(relu(bn1(conv1 x)))) + short(x)). Children <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c> and
/// <c>short</c>: a 1×1 convolution + BatchNorm (<c>short.0</c>, <c>short.1</c>) when the stride or width changes,
/// else an <see cref="Identity"/>. Convolutions have no bias (BatchNorm follows).
/// </summary>
public sealed class BasicBlock : Module
{
    /// <summary>Creates the block; convolutions are initialised from <paramref name="rng"/>.</summary>
    public BasicBlock(int inChannels, int outChannels, int stride, Rng rng)
    {
        Conv1 = RegisterModule("conv1", new Conv2d(inChannels, outChannels, 3, rng, stride, padding: 1, bias: false));
        Bn1 = RegisterModule("bn1", new BatchNorm2d(outChannels));
        Conv2 = RegisterModule("conv2", new Conv2d(outChannels, outChannels, 3, rng, 1, padding: 1, bias: false));
        Bn2 = RegisterModule("bn2", new BatchNorm2d(outChannels));
        Shortcut = RegisterModule<Module>("short", stride != 1 || inChannels != outChannels
            ? new Sequential(new Conv2d(inChannels, outChannels, 1, rng, stride, bias: false), new BatchNorm2d(outChannels))
            : new Identity());
    }

    /// <summary>3×3 convolution, carries the stride.</summary>
    public Conv2d Conv1 { get; }

    /// <summary>BatchNorm after <see cref="Conv1"/>.</summary>
    public BatchNorm2d Bn1 { get; }

    /// <summary>3×3 convolution, stride 1.</summary>
    public Conv2d Conv2 { get; }

    /// <summary>BatchNorm after <see cref="Conv2"/>.</summary>
    public BatchNorm2d Bn2 { get; }

    /// <summary>The shortcut (PyTorch name <c>short</c>): projection or identity.</summary>
    public Module Shortcut { get; }

    /// <summary>x: (N, C, H, W) → (N, O, H/stride, W/stride).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (Bn1.Training)
        {
            var o = Bn1.Forward(Conv1.Forward(x)).Relu();
            o = Bn2.Forward(Conv2.Forward(o));
            return o.Add(Shortcut.Forward(x)).Relu();
        }

        // Eval: each conv applies its BatchNorm, the shortcut and the ReLU to its output tiles, and a projection
        // shortcut comes from conv1's pass over x where the direct kernel takes it (all bit-identical).
        var (h, identity) = Shortcut is Sequential { Count: 2 } s && s[0] is Conv2d proj && s[1] is BatchNorm2d bn
            ? Conv1.ForwardNormActWithProjection(x, Bn1, relu: true, proj, bn)
            : (Conv1.ForwardNormAct(x, Bn1, relu: true), Shortcut.Forward(x));
        return Conv2.ForwardNormAct(h, Bn2, identity, relu: true);
    }

    /// <summary>MACs per image on an (h, w) input; (h, w) become the output size.</summary>
    internal long Macs(ref int h, ref int w)
    {
        int h0 = h, w0 = w;
        long m = Bench.Macs.Conv(Conv1, ref h, ref w);
        m += Bench.Macs.Conv(Conv2, ref h, ref w);
        if (Shortcut is Sequential { Count: > 0 } s && s[0] is Conv2d proj)
        {
            m += Bench.Macs.Conv(proj, ref h0, ref w0);
        }

        return m;
    }
}
