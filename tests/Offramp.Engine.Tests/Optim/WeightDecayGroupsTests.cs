using Offramp.Engine.Nn;
using Offramp.Engine.Optim;

namespace Offramp.Engine.Tests.Optim;

public class WeightDecayGroupsTests
{
    [Fact]
    public void Split_BiasesAndNormsNoDecay_MatricesDecay_FrozenSkipped()
    {
        var rng = new Rng(1);
        var model = new Sequential(new Conv2d(3, 4, 3, rng), new BatchNorm2d(4), new Flatten(), new Linear(4, 2, rng), new LayerNorm(2),
            new Linear(2, 2, rng));
        ((Linear)model[5]).Freeze();
        var groups = WeightDecayGroups.Split(model, weightDecay: 0.05);
        Assert.Equal("no_decay", groups[0].Name);
        var names = model.NamedParameters().ToDictionary(p => p.Parameter, p => p.Name, new RefEq());
        Assert.Equal(["0.bias", "1.weight", "1.bias", "3.bias", "4.weight", "4.bias"], groups[0].Params.Select(p => names[p]));
        Assert.Equal(["0.weight", "3.weight"], groups[1].Params.Select(p => names[p]));
        var opt = new AdamW(groups, lr: 1e-3, weightDecay: 0.3);
        Assert.Equal(0.0, opt.ParamGroups[0].WeightDecay);
        Assert.Equal(0.05, opt.ParamGroups[1].WeightDecay);
    }

    [Fact]
    public void Split_NoWeightDecayList_ByName()
    {
        var model = new Sequential(new Linear(2, 2, new Rng(1)));
        var groups = WeightDecayGroups.Split(model, 0.1, ["0.weight"]);
        Assert.Equal(2, groups[0].Params.Count);
        Assert.Empty(groups[1].Params);
    }
}

internal sealed class RefEq : IEqualityComparer<Tensor>
{
    public bool Equals(Tensor? x, Tensor? y) => ReferenceEquals(x, y);

    public int GetHashCode(Tensor obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
}
