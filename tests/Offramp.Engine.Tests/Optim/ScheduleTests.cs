using Offramp.Engine.Optim;

namespace Offramp.Engine.Tests.Optim;

public class ScheduleTests
{
    [Fact]
    public void Cosine_WarmupThenCosineToMin_ValuesAtChosenSteps()
    {
        var s = new CosineSchedule(totalSteps: 110, warmupSteps: 10, minLr: 0.01, warmupStartLr: 0.0);
        Assert.Equal(0.0, s.LrAt(1.0, 0));
        Assert.Equal(0.5, s.LrAt(1.0, 5), 12);
        Assert.Equal(0.9, s.LrAt(1.0, 9), 12);
        Assert.Equal(1.0, s.LrAt(1.0, 10), 12);
        Assert.Equal(0.01 + 0.5 * 0.99 * (1 + Math.Cos(Math.PI * 0.25)), s.LrAt(1.0, 35), 12);
        Assert.Equal(0.01 + 0.5 * 0.99, s.LrAt(1.0, 60), 12);
        Assert.Equal(0.01, s.LrAt(1.0, 110), 12);
        Assert.Equal(0.01, s.LrAt(1.0, 500), 12);
    }

    [Fact]
    public void Cosine_WarmupStartLr_LinearFromIt()
    {
        var s = new CosineSchedule(totalSteps: 20, warmupSteps: 4, warmupStartLr: 1e-6);
        Assert.Equal(1e-6, s.LrAt(0.1, 0), 15);
        Assert.Equal(1e-6 + (0.1 - 1e-6) * 0.5, s.LrAt(0.1, 2), 15);
    }

    [Fact]
    public void Cosine_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(10, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(10, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(10).LrAt(1, -1));
    }

    [Fact]
    public void StepDecay_EveryStepSize()
    {
        var s = new StepSchedule(stepSize: 30, gamma: 0.1);
        Assert.Equal(0.1, s.LrAt(0.1, 0), 15);
        Assert.Equal(0.1, s.LrAt(0.1, 29), 15);
        Assert.Equal(0.01, s.LrAt(0.1, 30), 15);
        Assert.Equal(0.001, s.LrAt(0.1, 60), 15);
    }

    [Fact]
    public void StepDecay_Milestones()
    {
        var s = new StepSchedule([5, 8], gamma: 0.5);
        Assert.Equal(1.0, s.LrAt(1.0, 4));
        Assert.Equal(0.5, s.LrAt(1.0, 5));
        Assert.Equal(0.25, s.LrAt(1.0, 100));
        Assert.Throws<ArgumentException>(() => new StepSchedule([8, 5]));
    }

    [Fact]
    public void Apply_SetsEachGroupFromItsInitialLr()
    {
        var opt = new Sgd([new ParamGroup([Tensor.Zeros(1).WithGrad()]), new ParamGroup([Tensor.Zeros(1).WithGrad()], lr: 0.5)], lr: 0.1);
        var s = new CosineSchedule(totalSteps: 10, warmupSteps: 2);
        s.Apply(opt, 1);
        Assert.Equal(0.05, opt.ParamGroups[0].Lr, 15);
        Assert.Equal(0.25, opt.ParamGroups[1].Lr, 15);
        s.Apply(opt, 2);
        Assert.Equal(0.1, opt.ParamGroups[0].Lr, 15);
        Assert.Equal(0.1, opt.ParamGroups[0].InitialLr);
    }
}
