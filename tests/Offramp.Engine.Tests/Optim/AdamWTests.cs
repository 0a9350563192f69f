using Offramp.Engine.Optim;
using static Offramp.Engine.Tests.Optim.OptimTestUtil;

namespace Offramp.Engine.Tests.Optim;

public class AdamWTests
{
    [Fact]
    public void Step_First_HandComputed()
    {
        // p = 1, g = 0.5, lr 0.1, wd 0.1: p·(1 − 0.01) = 0.99; m = 0.05, v = 0.00025; bias corrections 0.1 and
        // 0.001 give m̂ = 0.5, √v̂ = 0.5: p = 0.99 − 0.1·0.5/(0.5 + 1e-8).
        var p = Tensor.FromArray([1.0], 1).WithGrad();
        var opt = new AdamW([p], lr: 0.1, weightDecay: 0.1);
        p.Grad = Tensor.FromArray([0.5], 1);
        opt.Step();
        Assert.Equal(0.99 - 0.1 * 0.5 / (0.5 + 1e-8), p.GetFlat(0), 14);
        var sd = opt.StateDict();
        Assert.Equal(0.05, sd["state.0.exp_avg"].GetFlat(0), 14);
        Assert.Equal(0.00025, sd["state.0.exp_avg_sq"].GetFlat(0), 14);
        Assert.Equal(1.0, sd["state.0.step"].Item());
    }

    public static TheoryData<string, double, double, double, double, double, double[], double[], double[]> TorchCases => new()
    {
        {
            "default", 1e-3, 0.9, 0.999, 1e-8, 1e-2,
            [-0.397488006660985, -0.15252208098587153, 0.10090513781890882, 0.34827256618608987, 0.5981090006836483],
            [-0.009125000000000022, 0.07019999999999998, -0.0262, 0.10537499999999998, -0.015774999999999997],
            [0.0028697549359375024, 0.002370564812250002, 0.002310625812250002, 0.002681692748437503, 0.0021218136874375016]
        },
        {
            "custom", 0.01, 0.8, 0.95, 1e-6, 0.05,
            [-0.37632897849026486, -0.17385752347908615, 0.10783283191323008, 0.33314415342851356, 0.5812869081377627],
            [0.04799999999999996, 0.0912, -0.059199999999999975, 0.18199999999999997, -0.05639999999999999],
            [0.13123242187500012, 0.10794375000000009, 0.1110375000000001, 0.12049023437500009, 0.09842929687500009]
        },
    };

    [Theory]
    [MemberData(nameof(TorchCases))]
    public void Step_FourSteps_MatchesTorchAdamW(string name, double lr, double b1, double b2, double eps, double wd,
        double[] expectedParam, double[] expectedM, double[] expectedV)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var p = P0(5, dtype);
            var opt = new AdamW([p], lr, b1, b2, eps, wd);
            Run(opt, p);
            double tol = dtype == DType.Float64 ? 1e-13 : 2e-6;
            var sd = opt.StateDict();
            Assert.Equal(4.0, sd["state.0.step"].Item());
            Assert.Equal(Engine.Nn.TorchDType.Int64, sd.TorchDTypeOf("state.0.step"));
            for (int i = 0; i < 5; i++)
            {
                Assert.True(Math.Abs(p.GetFlat(i) - expectedParam[i]) <= tol, $"{name} {dtype} param[{i}] {p.GetFlat(i)} vs {expectedParam[i]}");
                Assert.True(Math.Abs(sd["state.0.exp_avg"].GetFlat(i) - expectedM[i]) <= tol, $"{name} {dtype} exp_avg[{i}]");
                Assert.True(Math.Abs(sd["state.0.exp_avg_sq"].GetFlat(i) - expectedV[i]) <= tol, $"{name} {dtype} exp_avg_sq[{i}]");
            }
        }
    }

    [Fact]
    public void Step_AfterFirst_AllocatesNothing()
    {
        var ps = new[] { Tensor.Zeros(1000).WithGrad(), Tensor.Zeros(33).WithGrad() };
        foreach (var p in ps)
        {
            p.Grad = Tensor.Full([p.Numel], 0.25);
        }

        var adam = new AdamW(ps, lr: 1e-3);
        var sgd = new Sgd(ps, lr: 1e-3, momentum: 0.9, nesterov: true, weightDecay: 1e-4);
        for (int i = 0; i < 3; i++)
        {
            adam.Step();
            sgd.Step();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            adam.Step();
            sgd.Step();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Step_FirstStepInsideStepArena_StateSurvivesTheScope()
    {
        var p = Tensor.Zeros(8).WithGrad();
        var opt = new AdamW([p]);
        using (TensorMemory.Step())
        {
            p.Grad = Tensor.Full([8], 0.5);
            opt.Step();
        }

        p.Grad = Tensor.Full([8], 0.5); // the old gradient lived in the arena
        opt.Step(); // would throw ObjectDisposedException if exp_avg had come from the arena
        Assert.Equal(2.0, opt.StateDict()["state.0.step"].Item());
    }

    [Fact]
    public void Constructor_InvalidBetas_Throw()
    {
        var p = Tensor.Zeros(2).WithGrad();
        Assert.Throws<ArgumentException>(() => new AdamW([p], beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new AdamW([p], beta2: -0.1));
        Assert.Throws<ArgumentException>(() => new AdamW([p], eps: -1));
    }
}
