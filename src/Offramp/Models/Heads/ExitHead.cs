using Offramp.Engine;
using Offramp.Engine.Nn;

namespace Offramp.Models.Heads;

/// <summary>
/// An exit head: a module from a backbone's intermediate feature map (N, C, H, W) to logits (N, K). Heads are
/// placed by the model family; <see cref="Create"/> builds one by the kind named in <see cref="ModelOptions.Head"/>.
/// </summary>
public abstract class ExitHead : Module
{
    /// <summary>The head kinds <see cref="Create"/> understands.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["linear", "sdn"];

    /// <summary>Channels C of the feature map the head reads.</summary>
    public abstract int InChannels { get; }

    /// <summary>Classes K (width of the logits).</summary>
    public abstract int NumClasses { get; }

    /// <summary>
    /// Multiply–accumulates per sample for the input the head was built for (Offramp's cost convention: conv and
    /// Linear MACs only, as torchvision's GFLOPS figures; pooling, mixing and activations are not counted).
    /// </summary>
    public abstract long Macs { get; }

    /// <summary>
    /// Builds a head of kind <paramref name="kind"/> ("linear" = <see cref="LinearExitHead"/>, "sdn" =
    /// <see cref="SdnExitHead"/>; null = "linear") for a (C, H, W) = (<paramref name="channels"/>,
    /// <paramref name="height"/>, <paramref name="width"/>) feature map, initialised from <paramref name="rng"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown kind (the message lists the known ones), or a size the kind
    /// does not accept.</exception>
    public static ExitHead Create(string? kind, int channels, int height, int width, int numClasses, Rng rng) =>
        (kind ?? "linear").ToLowerInvariant() switch
        {
            "linear" => new LinearExitHead(channels, numClasses, rng),
            "sdn" => new SdnExitHead(channels, height, width, numClasses, rng),
            _ => throw new ArgumentException(
                $"unknown exit head '{kind}'; known heads: {string.Join(", ", Kinds)}", nameof(kind)),
        };

    /// <summary>Throws unless <paramref name="x"/> is (N, <see cref="InChannels"/>, H, W).</summary>
    private protected void CheckInput(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
        {
            throw new ArgumentException(
                $"{GetType().Name}(in_channels={InChannels}) expects (N, {InChannels}, H, W), " +
                $"got input {Shape.Format(x.Shape)}");
        }
    }
}
