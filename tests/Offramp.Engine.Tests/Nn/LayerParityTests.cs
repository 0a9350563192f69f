using Offramp.Engine.Nn;
using Offramp.Engine.Tests.Parity;

namespace Offramp.Engine.Tests.Nn;

/// <summary>
/// Layers against PyTorch (fixtures of <c>tools/gen_parity_fixtures.py</c>): the state-dict keys, then — with the
/// fixture's weights loaded — forward output, input and parameter gradients, and the state after the forward
/// (BatchNorm running statistics and <c>num_batches_tracked</c>).
/// </summary>
public class LayerParityTests
{
    private const double Atol = 1e-5, Rtol = 1e-4; // as the functional parity tests (issue 2)

    /// <summary>Every module case of the generator.</summary>
    public static TheoryData<string> AllCases => new(All);

    private static readonly string[] All = [
        "linear", "linear_nobias_3d", "conv_basic", "conv_stride2_nobias", "conv_dilated", "conv_groups", "conv_depthwise",
        "conv_1x1", "conv_7x7_s2", "batchnorm1d_train", "batchnorm2d_train", "batchnorm1d_eval", "batchnorm2d_eval",
        "layernorm", "layernorm_2d", "relu", "gelu", "gelu_tanh", "silu", "sigmoid", "tanh", "hardswish", "hardsigmoid",
        "elu", "maxpool", "avgpool", "avgpool_pad", "adaptive_avg", "adaptive_avg_1", "adaptive_max", "flatten",
        "sequential", "mlp", "attention_qkv", "attention_separate"];

    [Theory]
    [MemberData(nameof(AllCases))]
    public void StateDictKeys_MatchPyTorch(string name)
    {
        var fx = ParityFixture.Load(name);
        var m = ParityModules.Build(fx.Spec, new Rng(1));
        Assert.Equal(fx.Group("param.").Keys.Order(StringComparer.Ordinal), m.StateDict().Keys.Order(StringComparer.Ordinal));
        foreach (var e in m.StateDict().Entries)
        {
            Assert.Equal(fx.T($"param.{e.Key}").Shape, e.Tensor.Shape);
        }

        m.LoadStateDict(fx.Group("param."));
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void ForwardBackward_MatchesPyTorch(string name)
    {
        var fx = ParityFixture.Load(name);
        var m = ParityModules.Build(fx.Spec, new Rng(1));
        m.LoadStateDict(fx.Group("param."));
        m.Train(fx.Train);
        var inputs = fx.Inputs();
        var y = ParityModules.Forward(m, inputs);
        TestUtil.AssertClose(fx.T("output"), y, Atol, Rtol, $"{name} output");

        y.Mul(fx.T("grad_output")).Sum().Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            TestUtil.AssertClose(fx.T($"grad.input.{i}"), inputs[i].Grad!, Atol, Rtol, $"{name} grad of input {i}");
        }

        foreach (var (pname, p) in m.NamedParameters())
        {
            Assert.NotNull(p.Grad);
            TestUtil.AssertClose(fx.T($"grad.param.{pname}"), p.Grad, Atol, Rtol, $"{name} grad of {pname}");
        }

        foreach (var (k, expected) in fx.Group("state."))
        {
            TestUtil.AssertClose(expected, m.StateDict()[k], Atol, Rtol, $"{name} state {k} after forward");
        }
    }
}
