using System.Text.Json;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Nn;

/// <summary>
/// Builds the Offramp module a parity case of <c>tools/gen_parity_fixtures.py</c> describes, and runs it; the
/// fixture itself is read by <see cref="Parity.ParityFixture"/>.
/// </summary>
internal static class ParityModules
{
    /// <summary>Builds the Offramp module a spec describes (random init; the fixture's weights are loaded after).</summary>
    public static Module Build(JsonElement s, Rng rng)
    {
        int I(string k) => s.GetProperty(k).GetInt32();
        bool B(string k) => s.GetProperty(k).GetBoolean();
        int[] Pair(string k) => [.. s.GetProperty(k).EnumerateArray().Select(v => v.GetInt32())];
        return s.GetProperty("type").GetString() switch
        {
            "Linear" => new Linear(I("in"), I("out"), rng, B("bias")),
            "Conv2d" => new Conv2d(I("cin"), I("cout"), I("k"), rng, I("stride"), I("padding"), I("dilation"), I("groups"), B("bias")),
            "BatchNorm1d" => new BatchNorm1d(I("features")),
            "BatchNorm2d" => new BatchNorm2d(I("features")),
            "LayerNorm" => new LayerNorm(Pair("shape")),
            "ReLU" => new ReLU(),
            "GELU" => new GELU(),
            "GELU_tanh" => new GELU("tanh"),
            "SiLU" => new SiLU(),
            "Sigmoid" => new Sigmoid(),
            "Tanh" => new Tanh(),
            "Hardswish" => new Hardswish(),
            "Hardsigmoid" => new Hardsigmoid(),
            "ELU" => new ELU(),
            "MaxPool2d" => new MaxPool2d(I("k"), I("stride"), I("padding")),
            "AvgPool2d" => new AvgPool2d(I("k"), I("stride"), I("padding")),
            "AdaptiveAvgPool2d" => new AdaptiveAvgPool2d(Pair("out")[0], Pair("out")[1]),
            "AdaptiveMaxPool2d" => new AdaptiveMaxPool2d(Pair("out")[0], Pair("out")[1]),
            "Flatten" => new Flatten(),
            "Sequential" => new Sequential([.. s.GetProperty("children").EnumerateArray().Select(c => Build(c, rng))]),
            "Mlp" => new Mlp(I("in"), rng, I("hidden"), I("out")),
            "Attention" => new Attention(I("dim"), rng, I("heads"), B("qkv_bias")),
            "SeparateAttention" => new CrossAttention(I("dim"), rng, I("heads"), I("kdim"), qkvBias: B("qkv_bias")),
            var t => throw new ArgumentException($"no Offramp module for parity spec type {t}"),
        };
    }

    /// <summary>Runs the module's forward on the fixture's inputs (two inputs: x and a cross-attention context).</summary>
    public static Tensor Forward(Module m, Tensor[] inputs) => inputs.Length switch
    {
        1 => m.Forward(inputs[0]),
        2 when m is CrossAttention ca => ca.Forward(inputs[0], inputs[1]),
        _ => throw new ArgumentException($"{m.GetType().Name} with {inputs.Length} inputs"),
    };
}
