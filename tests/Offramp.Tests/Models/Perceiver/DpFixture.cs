using System.Text.Json;
using Offramp.Engine;
using Offramp.Engine.IO;
using Offramp.Models.Perceiver;
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

    public static readonly string[] Names = ["resnet10_all", "resnet10_off", "bottleneck_28"];

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
        int[] depths = [.. Spec.GetProperty("depths").EnumerateArray().Select(e => e.GetInt32())];
        int[] shape = [.. Spec.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt32())];
        var kind = Spec.GetProperty("block").GetString() == "basic" ? ResNetBlockKind.Basic : ResNetBlockKind.Bottleneck;
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
        };
        var rng = new Rng(0);
        var backbone = new ResNetPerceiverBackbone(ResNetArch.ImageNet(kind, depths), Spec.GetProperty("width").GetDouble(),
            shape, classes, config.DropRate, rng);
        return new DynamicPerceiver(backbone, config, shape, classes, rng);
    }

    private bool Flag(string key) => !Spec.TryGetProperty(key, out var v) || v.GetBoolean();
}
