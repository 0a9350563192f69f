using System.Text.Json;
using Offramp.Engine;
using Offramp.Engine.IO;
using Offramp.Models.Perceiver;
using Offramp.Models.RegNets;
using Offramp.Models.ResNets;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>
/// A Dynamic Perceiver parity case written by <c>tools/gen_dp_fixtures.py</c> from the PyTorch reference
/// <c>tools/dp_reference.py</c>: the converted official-style state dict (<c>.params.safetensors</c>, produced by
/// <c>tools/convert_dp_checkpoint.py</c>) and the input with the four exits' logits (<c>.io.safetensors</c>).
/// Never edit a fixture to make a test pass: regenerate with the script.
/// </summary>
internal sealed class DpFixture
{
    /// <summary>Relative tolerance of the parity tests (issue 6: rtol 1e-4).</summary>
    public const double Rtol = 1e-4;

    /// <summary>Absolute floor for logits near zero.</summary>
    public const double Atol = 1e-5;

    public static readonly string[] Names = ["resnet10_all", "resnet10_off", "bottleneck_28", "regnet_tiny_64", "mobilenet_025_64"];

    private DpFixture(string name, Dictionary<string, Tensor> io, JsonElement spec)
    {
        Name = name;
        Io = io;
        Spec = spec;
    }

    public string Name { get; }

    public Dictionary<string, Tensor> Io { get; }

    public JsonElement Spec { get; }

    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "dp");

    public string ParamsPath => Path.Combine(Dir, Name + ".params.safetensors");

    public Tensor Input => Io["input"];

    public Tensor Logits(int k) => Io[$"logits.{k}"];

    public static DpFixture Load(string name)
    {
        var file = Safetensors.Read(Path.Combine(Dir, name + ".io.safetensors"));
        using var doc = JsonDocument.Parse(file.Metadata!["case"]);
        return new DpFixture(name, StateDictFiles.ReadTensors(file), doc.RootElement.Clone());
    }

    /// <summary>The model the case describes, with this repository's initialisation (seed 0) before loading.</summary>
    public DynamicPerceiver Build()
    {
        int[] shape = [.. Spec.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32())];
        string block = Spec.GetProperty("block").GetString()!;
        double width = Spec.GetProperty("width").GetDouble();
        int classes = Spec.GetProperty("num_classes").GetInt32();
        var config = new DynPerceiverConfig
        {
            NumLatents = Spec.GetProperty("num_latents").GetInt32(),
            DepthFactor = Spec.TryGetProperty("depth_factor", out var df) ? [.. df.EnumerateArray().Select(e => e.GetInt32())] : [1, 1, 1, 1],
            SpatialReduction = Flag("spatial_reduction"),
            WithX2Z = Flag("with_x2z"),
            WithZ2X = Flag("with_z2x"),
            WithDwc = Flag("with_dwc"),
            WithLastCA = Flag("with_last_ca"),
            WithIsc = Flag("with_isc"),
            SaWideningFactor = Spec.TryGetProperty("sa_widening", out var sw) ? sw.GetInt32() : 4,
        };
        var rng = new Rng(0);
        PerceiverBackbone backbone = block switch
        {
            // tools/torchvision_backbones.py's tiny RegNetY: from_init_params(8, 16, 12.7, 2.1, 24, SE 0.25)
            "regnet" => new RegNetPerceiverBackbone(RegNetBlockParams.FromInitParams(8, 16, 12.7, 2.1, 24, seRatio: 0.25),
                width, shape, classes, rng),
            "mobilenet" => new MobileNetPerceiverBackbone(width, shape, classes, rng),
            _ => new ResNetPerceiverBackbone(
                ResNetArch.ImageNet(block == "basic" ? ResNetBlockKind.Basic : ResNetBlockKind.Bottleneck,
                    [.. Spec.GetProperty("depths").EnumerateArray().Select(e => e.GetInt32())]),
                width, shape, classes, config.DropRate, rng),
        };
        return new DynamicPerceiver(backbone, config, shape, classes, rng);
    }

    private bool Flag(string key) => !Spec.TryGetProperty(key, out var v) || v.GetBoolean();
}
