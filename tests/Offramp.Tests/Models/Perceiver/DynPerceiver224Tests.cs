using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models;
using Offramp.Models.Perceiver;
using Xunit.Abstractions;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>
/// The official 224×224 variants: they build with 1000 classes, their CNN branch has torchvision's parameter count
/// (cnn_stem + cnn_body* + classifier_cnn: the same tensors as torchvision's model), the exit costs grow in the
/// official order, and the released models run a forward pass.
/// </summary>
public class DynPerceiver224Tests(ITestOutputHelper output)
{
    private static readonly ModelOptions ImageNet = new() { NumClasses = 1000, InputShape = [3, 224, 224] };

    private static long CnnParameters(Module m) => m.NamedParameters()
        .Where(p => p.Name.StartsWith("cnn_", StringComparison.Ordinal) || p.Name.StartsWith("classifier_cnn.", StringComparison.Ordinal))
        .Sum(p => (long)p.Parameter.Numel);

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("reg400m_perceiver_t128", 4_344_144)]
    [InlineData("reg800m_perceiver_t128", 6_432_512)]
    [InlineData("reg1x6g_perceiver_t128", 11_202_430)]
    [InlineData("reg3x2g_perceiver_t128", 19_436_338)]
    [InlineData("mobilenetV3_perceiver_t128", 5_483_032)]
    [InlineData("mobilenetV3_0x5_perceiver_t128", 1_734_576)]
    [InlineData("mobilenetV3_0x75_perceiver_t128", 3_377_576)]
    [InlineData("mobilenetV3_1x25_perceiver_t128", 8_164_744)]
    [InlineData("mobilenetV3_1x5_perceiver_t128", 11_317_208)]
    [InlineData("mobilenetV3_2x0_perceiver_t128", 19_121_216)]
    public void CnnBranch_At224_HasTorchvisionParameterCount(string name, long torchvision)
    {
        var model = ModelRegistry.Create(name, ImageNet);
        Assert.Equal(torchvision, CnnParameters(model));
        var macs = model.Exits.Select(e => e.Macs).ToArray();
        Assert.True(macs[0] > 0 && macs.Zip(macs.Skip(1)).All(p => p.First < p.Second), $"{name}: MACs {string.Join(", ", macs)}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {model.ParameterCount():N0} params; MACs per exit {string.Join(" / ", macs.Select(m => $"{m / 1e6:F1}M"))}"));
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("resnet50_0375_perceiver_t128", new[] { 24, 96, 192, 384 }, 768)]
    [InlineData("reg800m_perceiver_t128", new[] { 32, 64, 144, 320 }, 784)]
    [InlineData("mobilenetV3_0x75_perceiver_t128", new[] { 24, 32, 64, 120 }, 720)]
    public void ReleasedVariant_At224_HasThePaperShapesAndRunsAForwardPass(string name, int[] c, int cOut)
    {
        var model = (DynamicPerceiver)ModelRegistry.Create(name, ImageNet);
        Assert.Equal(c, model.Backbone.StageInChannels);
        Assert.Equal(cOut, model.Backbone.OutChannels);
        Assert.Equal([128, 64, 32, 16], model.Config.Tokens);
        model.Eval();
        ExitOutputs outs;
        using (Autograd.NoGrad())
        {
            outs = model.ForwardAll(ModelAssert.Batch(9, 1, model.InputShape));
        }

        Assert.All(outs.Logits, l => Assert.Equal([1, 1000], l.Shape));
        Assert.All(outs.Logits.SelectMany(l => l.ToArray()), v => Assert.True(float.IsFinite(v)));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {model.ParameterCount():N0} params; MACs per exit {string.Join(" / ", model.Exits.Select(e => $"{e.Name} {e.Macs / 1e6:F1}M"))}"));
    }
}
