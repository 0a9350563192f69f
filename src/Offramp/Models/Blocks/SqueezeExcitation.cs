// Squeeze-and-Excitation: Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018, as
// torchvision.ops.misc.SqueezeExcitation (torchvision 0.14): avgpool → fc1 (1×1 conv, bias) → activation → fc2 (1×1
// conv, bias) → scale activation, then x·scale. RegNetY uses ReLU + Sigmoid, MobileNetV3 ReLU + Hardsigmoid.
// Deviations: none.
using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Blocks;

/// <summary>
/// torchvision's <c>SqueezeExcitation</c>: per-channel gates from the global average. Parameters
/// <c>fc1.weight</c> (S, C, 1, 1), <c>fc1.bias</c> (S), <c>fc2.weight</c> (C, S, 1, 1), <c>fc2.bias</c> (C).
/// </summary>
public sealed class SqueezeExcitation : Module
{
    /// <summary>Creates the block for <paramref name="inputChannels"/> C squeezed to
    /// <paramref name="squeezeChannels"/> S, with the given activation (after fc1) and scale activation (after
    /// fc2).</summary>
    /// <exception cref="ArgumentException">A channel count is not positive.</exception>
    public SqueezeExcitation(int inputChannels, int squeezeChannels, Module activation, Module scaleActivation,
        Rng rng)
    {
        if (inputChannels <= 0 || squeezeChannels <= 0)
        {
            throw new ArgumentException(
                $"SqueezeExcitation: channels must be positive, got input {inputChannels}, squeeze {squeezeChannels}");
        }

        Avgpool = RegisterModule("avgpool", new AdaptiveAvgPool2d(1));
        Fc1 = RegisterModule("fc1", new Conv2d(inputChannels, squeezeChannels, 1, rng));
        Fc2 = RegisterModule("fc2", new Conv2d(squeezeChannels, inputChannels, 1, rng));
        Activation = RegisterModule("activation", activation);
        ScaleActivation = RegisterModule("scale_activation", scaleActivation);
    }

    /// <summary>Global average pool.</summary>
    public AdaptiveAvgPool2d Avgpool { get; }

    /// <summary>The squeeze, C → S.</summary>
    public Conv2d Fc1 { get; }

    /// <summary>The excitation, S → C.</summary>
    public Conv2d Fc2 { get; }

    /// <summary>Activation after fc1.</summary>
    public Module Activation { get; }

    /// <summary>Gate activation after fc2.</summary>
    public Module ScaleActivation { get; }

    /// <summary>Channels C.</summary>
    public int InputChannels => Fc1.InChannels;

    /// <summary>Squeezed channels S.</summary>
    public int SqueezeChannels => Fc1.OutChannels;

    /// <summary>Multiply–accumulates per sample: the two 1×1 convs on the 1×1 pooled map, 2·C·S (pooling and
    /// the product are not counted).</summary>
    public long Macs => 2L * InputChannels * SqueezeChannels;

    /// <summary>x: (N, C, H, W) → x·gate(x), same shape.</summary>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not (N, C, H, W).</exception>
    public override Tensor Forward(Tensor x)
    {
        var scale = Avgpool.Forward(x);
        scale = ScaleActivation.Forward(Fc2.Forward(Activation.Forward(Fc1.Forward(scale))));
        return x.Mul(scale);
    }
}
