using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Nn;

// Expected key lists were printed by PyTorch 1.13 for the same module trees:
//   nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).state_dict().keys()
//   Net (below, in Python: scale Parameter, stem Sequential(Conv2d(3,4,3,bias=False), BatchNorm2d(4)),
//        buffer pos, non-persistent buffer tmp, head Linear(4, 2)): state_dict / named_parameters / named_buffers /
//        named_modules.
public class ModuleTests
{
    /// <summary>The Python Net of the header, registered in the same order.</summary>
    private sealed class Net : Module
    {
        public Net(Rng rng)
        {
            RegisterParameter("scale", Tensor.Ones(2));
            Stem = RegisterModule("stem", new Sequential(new Conv2d(3, 4, 3, rng, bias: false), new BatchNorm2d(4)));
            RegisterBuffer("pos", Tensor.Zeros(2));
            RegisterBuffer("tmp", Tensor.Zeros(2), persistent: false);
            Head = RegisterModule("head", new Linear(4, 2, rng));
        }

        public Sequential Stem { get; }

        public Linear Head { get; }

        public override Tensor Forward(Tensor x) => x;

        public void Register(string name, Tensor t) => RegisterParameter(name, t);

        public void RegisterBuf(string name, Tensor t) => RegisterBuffer(name, t);

        public void RegisterChild(string name, Module m) => RegisterModule(name, m);
    }

    [Fact]
    public void StateDict_SequentialLinearBatchNorm1d_PyTorchKeysAndOrder()
    {
        var m = new Sequential(new Linear(3, 4, new Rng(1)), new BatchNorm1d(4));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"],
            m.StateDict().Keys);
    }

    [Fact]
    public void StateDict_NestedModule_ParamsThenBuffersThenChildren()
    {
        var net = new Net(new Rng(1));
        Assert.Equal(["scale", "pos", "stem.0.weight", "stem.1.weight", "stem.1.bias", "stem.1.running_mean", "stem.1.running_var",
            "stem.1.num_batches_tracked", "head.weight", "head.bias"], net.StateDict().Keys);
    }

    [Fact]
    public void NamedEnumerations_NestedModule_PyTorchOrder()
    {
        var net = new Net(new Rng(1));
        Assert.Equal(["scale", "stem.0.weight", "stem.1.weight", "stem.1.bias", "head.weight", "head.bias"],
            net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["pos", "tmp", "stem.1.running_mean", "stem.1.running_var", "stem.1.num_batches_tracked"],
            net.NamedBuffers().Select(p => p.Name));
        Assert.Equal(["", "stem", "stem.0", "stem.1", "head"], net.NamedModules().Select(p => p.Name));
        Assert.Equal(["stem", "head"], net.NamedChildren().Select(p => p.Name));
        Assert.Same(net.Stem[1], net.GetSubmodule("stem.1"));
        Assert.Throws<ArgumentException>(() => net.GetSubmodule("stem.7"));
    }

    [Fact]
    public void StateDict_NumBatchesTracked_HintedInt64()
    {
        var sd = new Net(new Rng(1)).StateDict();
        foreach (var e in sd.Entries)
        {
            var expected = e.Key == "stem.1.num_batches_tracked" ? TorchDType.Int64 : TorchDType.Float32;
            Assert.True(expected == e.TorchDType, $"{e.Key}: {e.TorchDType}");
        }

        Assert.Empty(sd["stem.1.num_batches_tracked"].Shape);
    }

    [Fact]
    public void StateDict_Values_AreTheModulesOwnTensors()
    {
        var lin = new Linear(3, 2, new Rng(1));
        Assert.Same(lin.Weight, lin.StateDict()["weight"]);
        Assert.Equal(["module.weight", "module.bias"], lin.StateDict("module.").Keys);
    }

    [Fact]
    public void ParameterCount_Linear784To10_Is7850()
    {
        Assert.Equal(7850, new Linear(784, 10, new Rng(1)).ParameterCount());
        Assert.Equal(7840, new Linear(784, 10, new Rng(1), bias: false).ParameterCount());
        Assert.Equal(16 * 3 * 9 + 16, new Conv2d(3, 16, 3, new Rng(1)).ParameterCount());
        Assert.Equal(8 * 1 * 9 + 8, new Conv2d(8, 8, 3, new Rng(1), groups: 8).ParameterCount());
        Assert.Equal(8, new BatchNorm2d(4).ParameterCount());
        Assert.Equal(2 + 4 * 27 + 8 + 8 + 2, new Net(new Rng(1)).ParameterCount());
    }

    [Fact]
    public void SharedModule_ListedOnceInParameters_TwiceInStateDict()
    {
        var lin = new Linear(2, 2, new Rng(1));
        var seq = new Sequential(lin, lin);
        Assert.Equal(["0.weight", "0.bias"], seq.NamedParameters().Select(p => p.Name));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], seq.StateDict().Keys);
        Assert.Equal(6, seq.ParameterCount());
    }

    [Fact]
    public void TrainEval_Recursive()
    {
        var net = new Net(new Rng(1));
        Assert.True(net.Modules().All(m => m.Training));
        net.Eval();
        Assert.True(net.Modules().All(m => !m.Training));
        net.Stem.Train();
        Assert.False(net.Training);
        Assert.True(net.Stem[0].Training && net.Stem[1].Training);
        Assert.False(net.Head.Training);
    }

    [Fact]
    public void Freeze_ClearsRequiresGrad_TrainableCountFollows()
    {
        var net = new Net(new Rng(1));
        Assert.True(net.Parameters().All(p => p.RequiresGrad));
        net.Stem.Freeze();
        Assert.Equal(2 + 2 * 4 + 2, net.ParameterCount(trainableOnly: true));
        Assert.Equal(2 + 4 * 27 + 8 + 8 + 2, net.ParameterCount());
        net.Unfreeze();
        Assert.True(net.Parameters().All(p => p.RequiresGrad));
    }

    [Fact]
    public void ZeroGrad_SetToNoneOrZeroFill()
    {
        var lin = new Linear(2, 2, new Rng(1));
        lin.Weight.Grad = Tensor.Ones(2, 2);
        var g = lin.Weight.Grad;
        lin.ZeroGrad(setToNone: false);
        Assert.Same(g, lin.Weight.Grad);
        Assert.All(g.ToArray(), v => Assert.Equal(0f, v));
        lin.ZeroGrad();
        Assert.Null(lin.Weight.Grad);
    }

    [Fact]
    public void Register_InvalidOrTakenNames_Throw()
    {
        var net = new Net(new Rng(1));
        Assert.Throws<ArgumentException>(() => net.Register("a.b", Tensor.Zeros(1)));
        Assert.Throws<ArgumentException>(() => net.Register("", Tensor.Zeros(1)));
        Assert.Throws<ArgumentException>(() => net.Register("pos", Tensor.Zeros(1)));
        Assert.Throws<ArgumentException>(() => net.RegisterBuf("head", Tensor.Zeros(1)));
        Assert.Throws<ArgumentException>(() => net.RegisterChild("scale", new Identity()));
        Assert.Throws<ArgumentException>(() => net.RegisterChild("self", net));
    }

    [Fact]
    public void RegisterModule_SameName_ReplacesInPlace()
    {
        var net = new Net(new Rng(1));
        net.RegisterChild("stem", new Identity());
        Assert.Equal(["scale", "pos", "head.weight", "head.bias"], net.StateDict().Keys);
        Assert.Equal(["", "stem", "head"], net.NamedModules().Select(m => m.Name));
    }

    [Fact]
    public void RegisterParameter_TensorFromStepArena_Throws()
    {
        var net = new Net(new Rng(1));
        using (TensorMemory.Step())
        {
            Assert.Throws<ArgumentException>(() => net.Register("late", Tensor.Zeros(3)));
            var lin = new Linear(3, 2, new Rng(1)); // modules allocate their own state outside the arena
            Assert.Null(lin.Weight.Arena);
        }
    }

    [Fact]
    public void ToString_Sequential_PyTorchRepr()
    {
        var rng = new Rng(1);
        var s = new Sequential(new Linear(3, 4, rng), new BatchNorm1d(4), new GELU("tanh"),
            new Conv2d(3, 4, 3, rng, padding: 1, bias: false)).ToString();
        Assert.Equal("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n" +
            "  (1): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" +
            "  (2): GELU(approximate='tanh')\n" +
            "  (3): Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n)", s);
    }
}
