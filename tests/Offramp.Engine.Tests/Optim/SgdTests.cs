using Offramp.Engine.Optim;
using static Offramp.Engine.Tests.Optim.OptimTestUtil;

namespace Offramp.Engine.Tests.Optim;

public class SgdTests
{
    [Fact]
    public void Step_Momentum_HandComputed()
    {
        // p = 1, g = 0.5, lr 0.1, momentum 0.9: buf 0.5 → 0.95 → 1.355; p 0.95 → 0.855 → 0.7195.
        var p = Tensor.FromArray([1.0], 1).WithGrad();
        var opt = new Sgd([p], lr: 0.1, momentum: 0.9);
        double[] expected = [0.95, 0.855, 0.7195];
        foreach (var e in expected)
        {
            p.Grad = Tensor.FromArray([0.5], 1);
            opt.Step();
            Assert.Equal(e, p.GetFlat(0), 12);
        }
    }

    [Fact]
    public void Step_Nesterov_HandComputed()
    {
        // buf 0.5, d = 0.5 + 0.9·0.5 = 0.95, p = 0.905; buf 0.95, d = 0.5 + 0.855 = 1.355, p = 0.7695.
        var p = Tensor.FromArray([1.0], 1).WithGrad();
        var opt = new Sgd([p], lr: 0.1, momentum: 0.9, nesterov: true);
        foreach (var e in new[] { 0.905, 0.7695 })
        {
            p.Grad = Tensor.FromArray([0.5], 1);
            opt.Step();
            Assert.Equal(e, p.GetFlat(0), 12);
        }
    }

    [Fact]
    public void Step_WeightDecay_HandComputed()
    {
        // d = 0.5 + 0.1·1 = 0.6 → p 0.94; d = 0.5 + 0.094 = 0.594 → p 0.8806.
        var p = Tensor.FromArray([1.0], 1).WithGrad();
        var opt = new Sgd([p], lr: 0.1, weightDecay: 0.1);
        foreach (var e in new[] { 0.94, 0.8806 })
        {
            p.Grad = Tensor.FromArray([0.5], 1);
            opt.Step();
            Assert.Equal(e, p.GetFlat(0), 12);
        }
    }

    public static TheoryData<string, double, double, double, double, bool, double[], double[]?> TorchCases => new()
    {
        { "plain", 0.1, 0, 0, 0, false, [-0.3500000000000001, -0.25, 0.12500000000000003, 0.22499999999999998, 0.6], null },
        { "wd", 0.1, 0, 0, 0.01, false, [-0.3488519735254, -0.24907617435015003, 0.1246007245501, 0.22382679872534997, 0.5977784226256001], null },
        {
            "momentum_damp_wd", 0.05, 0.9, 0.1, 0.01, false,
            [-0.18905340579153854, -0.32346880320686616, 0.11450132688402642, 0.19148684202807373, 0.5293753720595913],
            [-0.1825000902342295, 0.6612140406910743, -0.2685980716330286, 1.0484840581047747, -0.10608230303182795]
        },
        {
            "nesterov_wd", 0.05, 0.9, 0, 0.05, true,
            [-0.17860543546434918, -0.35862891927874274, 0.11537670729102383, 0.14343168042975524, 0.5194929125463968],
            [-0.13194665070421885, 0.6570134992334765, -0.2432540670436718, 1.0985315360190235, -0.0664989833831249]
        },
    };

    [Theory]
    [MemberData(nameof(TorchCases))]
    public void Step_FourSteps_MatchesTorchSgd(string name, double lr, double momentum, double dampening, double wd,
        bool nesterov, double[] expectedParam, double[]? expectedBuf)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var p = P0(5, dtype);
            var opt = new Sgd([p], lr, momentum, dampening, wd, nesterov);
            Run(opt, p);
            double tol = dtype == DType.Float64 ? 1e-13 : 1e-6;
            TestUtil.AssertClose(expectedParam.Select(v => (float)v).ToArray(), p.ToArray(), tol, 0, $"{name} {dtype} param");
            for (int i = 0; i < 5; i++)
            {
                Assert.InRange(p.GetFlat(i), expectedParam[i] - tol, expectedParam[i] + tol);
            }

            var sd = opt.StateDict();
            if (expectedBuf is null)
            {
                Assert.Empty(sd);
            }
            else
            {
                var buf = sd["state.0.momentum_buffer"];
                for (int i = 0; i < 5; i++)
                {
                    Assert.InRange(buf.GetFlat(i), expectedBuf[i] - tol, expectedBuf[i] + tol);
                }
            }
        }
    }

    [Fact]
    public void Step_ParamWithoutGrad_Skipped()
    {
        var a = Tensor.FromArray([1.0], 1).WithGrad();
        var b = Tensor.FromArray([1.0], 1).WithGrad();
        var opt = new Sgd([a, b], lr: 0.1, momentum: 0.9);
        a.Grad = Tensor.FromArray([1.0], 1);
        opt.Step();
        Assert.Equal(0.9, a.GetFlat(0), 12);
        Assert.Equal(1.0, b.GetFlat(0));
        Assert.Equal(["state.0.momentum_buffer"], opt.StateDict().Keys);
    }

    [Fact]
    public void Groups_OwnLrAndWeightDecay_DefaultsFilled()
    {
        var a = Tensor.FromArray([1.0], 1).WithGrad();
        var b = Tensor.FromArray([1.0], 1).WithGrad();
        var opt = new Sgd([new ParamGroup([a]), new ParamGroup([b], lr: 1.0, weightDecay: 0.0)], lr: 0.1, weightDecay: 0.5);
        Assert.Equal(0.1, opt.ParamGroups[0].Lr);
        Assert.Equal(0.5, opt.ParamGroups[0].WeightDecay);
        Assert.Equal(1.0, opt.ParamGroups[1].InitialLr);
        a.Grad = Tensor.FromArray([1.0], 1);
        b.Grad = Tensor.FromArray([1.0], 1);
        opt.Step();
        Assert.Equal(1 - 0.1 * 1.5, a.GetFlat(0), 12);
        Assert.Equal(0.0, b.GetFlat(0), 12);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        var p = Tensor.Zeros(2).WithGrad();
        Assert.Throws<ArgumentException>(() => new Sgd([p], lr: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd([p], lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd([p], lr: -1));
        Assert.Throws<ArgumentException>(() => new Sgd([new ParamGroup([p]), new ParamGroup([p])], lr: 0.1));
        Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<ParamGroup>(), lr: 0.1));
        var g = new ParamGroup([p]);
        _ = new Sgd([g], lr: 0.1);
        Assert.Throws<ArgumentException>(() => new Sgd([g], lr: 0.1));
    }

    [Fact]
    public void Step_GradShapeMismatch_Throws()
    {
        var p = Tensor.Zeros(2).WithGrad();
        var opt = new Sgd([p], lr: 0.1);
        p.Grad = Tensor.Zeros(3);
        Assert.Throws<InvalidOperationException>(opt.Step);
    }
}
