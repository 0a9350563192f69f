using Offramp.Engine.Nn;
using Offramp.Engine.Optim;
using static Offramp.Engine.Tests.Optim.OptimTestUtil;

namespace Offramp.Engine.Tests.Optim;

public class OptimizerStateTests
{
    [Fact]
    public void AdamW_SaveLoadResume_SameAsUninterrupted()
    {
        var a = P0(5);
        var optA = new AdamW([a], lr: 0.01, weightDecay: 0.05);
        Run(optA, a, steps: 2);
        var saved = optA.StateDict().ToDictionary(e => e.Key, e => e.Value.CloneData());
        var savedParam = a.CloneData();
        Run(optA, a, steps: 3, from: 2);

        var b = savedParam.WithGrad();
        var optB = new AdamW([b], lr: 0.01, weightDecay: 0.05);
        optB.LoadStateDict(saved);
        Run(optB, b, steps: 3, from: 2);
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        Assert.Equal(["state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq"], optB.StateDict().Keys);
    }

    [Fact]
    public void Sgd_SaveLoadResume_SameAsUninterrupted()
    {
        var a = P0(5);
        var optA = new Sgd([a], lr: 0.05, momentum: 0.9, nesterov: true);
        Run(optA, a, steps: 2);
        var saved = optA.StateDict().ToDictionary(e => e.Key, e => e.Value.CloneData());
        var b = a.CloneData().WithGrad();
        Run(optA, a, steps: 2, from: 2);
        var optB = new Sgd([b], lr: 0.05, momentum: 0.9, nesterov: true);
        optB.LoadStateDict(saved);
        Run(optB, b, steps: 2, from: 2);
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
    }

    [Fact]
    public void LoadStateDict_BadEntries_AllNamed_StateUnchanged()
    {
        var p = P0(5);
        var q = Tensor.Zeros([2], DType.Float64).WithGrad();
        var opt = new AdamW([p, q]);
        Run(opt, p, steps: 1);
        var before = opt.StateDict().ToDictionary(e => e.Key, e => e.Value.ToDoubleArray());
        var bad = new Dictionary<string, Tensor>
        {
            ["state.0.step"] = Tensor.Scalar(3),
            ["state.0.exp_avg"] = Tensor.Zeros(4),           // wrong shape
            ["state.0.exp_avg_sq"] = Tensor.Zeros(5),
            ["state.1.exp_avg"] = Tensor.Zeros(2),           // incomplete: no exp_avg_sq, no step
            ["state.2.exp_avg"] = Tensor.Zeros(2),           // no parameter 2
            ["state.0.momentum_buffer"] = Tensor.Zeros(5),   // not an AdamW state
        };
        var ex = Assert.Throws<StateDictMismatchException>(() => opt.LoadStateDict(bad));
        Assert.Equal(["state.1.exp_avg_sq", "state.1.step"], ex.MissingKeys);
        Assert.Equal(["state.2.exp_avg", "state.0.momentum_buffer"], ex.UnexpectedKeys);
        Assert.Single(ex.ShapeMismatches);
        Assert.Contains("state.0.exp_avg", ex.ShapeMismatches[0], StringComparison.Ordinal);
        var after = opt.StateDict();
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (k, v) in before)
        {
            Assert.Equal(v, after[k].ToDoubleArray());
        }
    }

    [Fact]
    public void LoadStateDict_FractionalStep_Rejected()
    {
        var p = P0(2);
        var opt = new AdamW([p]);
        var ex = Assert.Throws<StateDictMismatchException>(() => opt.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["state.0.step"] = Tensor.Scalar(1.5),
            ["state.0.exp_avg"] = Tensor.Zeros(2),
            ["state.0.exp_avg_sq"] = Tensor.Zeros(2),
        }));
        Assert.Contains("state.0.step", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadStateDict_Empty_ResetsState()
    {
        var p = P0(3);
        var opt = new AdamW([p]);
        Run(opt, p, steps: 2);
        opt.LoadStateDict(new Dictionary<string, Tensor>());
        Assert.Empty(opt.StateDict());
    }

    [Fact]
    public void ZeroGrad_ClearsEveryParameter()
    {
        var model = new Sequential(new Linear(2, 2, new Rng(1)));
        var opt = new Sgd(model.Parameters(), lr: 0.1);
        foreach (var p in model.Parameters())
        {
            p.Grad = Tensor.OnesLike(p);
        }

        opt.ZeroGrad(setToNone: false);
        Assert.All(model.Parameters(), p => Assert.All(p.Grad!.ToArray(), v => Assert.Equal(0f, v)));
        opt.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }
}
