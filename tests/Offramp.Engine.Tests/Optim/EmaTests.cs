using Offramp.Engine.Nn;
using Offramp.Engine.Optim;

namespace Offramp.Engine.Tests.Optim;

public class EmaTests
{
    [Fact]
    public void Update_ParamsAveraged_BuffersCopied()
    {
        var model = new Sequential(new Linear(2, 1, new Rng(1)), new BatchNorm1d(1));
        model.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.FromArray([1f, 2f], 1, 2),
            ["0.bias"] = Tensor.FromArray([0f], 1),
            ["1.weight"] = Tensor.FromArray([1f], 1),
            ["1.bias"] = Tensor.FromArray([0f], 1),
            ["1.running_mean"] = Tensor.FromArray([0f], 1),
            ["1.running_var"] = Tensor.FromArray([1f], 1),
            ["1.num_batches_tracked"] = Tensor.Scalar(0),
        });
        var ema = new Ema(model, decay: 0.9);
        model.StateDict()["0.weight"].Fill(11);
        model.StateDict()["1.running_mean"].Fill(5);
        model.StateDict()["1.num_batches_tracked"].Fill(3);
        ema.Update();
        var sd = ema.StateDict();
        Assert.Equal(0.9 * 1 + 0.1 * 11, sd["0.weight"].GetFlat(0), 5);
        Assert.Equal(0.9 * 2 + 0.1 * 11, sd["0.weight"].GetFlat(1), 5);
        Assert.Equal(5.0, sd["1.running_mean"].GetFlat(0));
        Assert.Equal(3.0, sd["1.num_batches_tracked"].Item());
        Assert.Equal(TorchDType.Int64, sd.TorchDTypeOf("1.num_batches_tracked"));
        ema.Update();
        Assert.Equal(0.9 * (0.9 * 1 + 0.1 * 11) + 0.1 * 11, sd["0.weight"].GetFlat(0), 5);
        Assert.Equal(2, ema.Updates);

        var copy = new Sequential(new Linear(2, 1, new Rng(9)), new BatchNorm1d(1));
        ema.CopyTo(copy);
        Assert.Equal(sd["0.weight"].ToArray(), copy.StateDict()["0.weight"].ToArray());
    }

    [Fact]
    public void Warmup_UsesSmallerDecayEarly_ThenTheConfiguredOne()
    {
        var model = new Linear(1, 1, new Rng(1), bias: false);
        model.Weight.Fill(0);
        var ema = new Ema(model, decay: 0.99) { Warmup = true };
        Assert.Equal(0.1, ema.DecayAt(0), 12);          // (1 + 0) / (10 + 0)
        Assert.Equal(101.0 / 110.0, ema.DecayAt(100), 12);
        Assert.Equal(0.99, ema.DecayAt(1_000_000), 12);  // capped at the configured decay
        Assert.Throws<ArgumentOutOfRangeException>(() => ema.DecayAt(-1));

        model.Weight.Fill(10);
        ema.Update();                                    // t = 0: 0.1·0 + 0.9·10
        Assert.Equal(9.0, ema.StateDict()["weight"].GetFlat(0), 5);
        ema.Update(t: 1000);                             // an explicit step (a resumed trainer's) wins over Updates
        Assert.Equal(0.99 * 9 + 0.01 * 10, ema.StateDict()["weight"].GetFlat(0), 5);

        var plain = new Ema(model, decay: 0.99);
        Assert.Equal(0.99, plain.DecayAt(0), 12);
    }

    [Fact]
    public void Constructor_CopiesState_IndependentOfModel()
    {
        var model = new Linear(3, 2, new Rng(1));
        var ema = new Ema(model);
        Assert.Equal(model.Weight.ToArray(), ema.StateDict()["weight"].ToArray());
        Assert.False(ema.StateDict()["weight"].SharesStorageWith(model.Weight));
        Assert.Throws<ArgumentOutOfRangeException>(() => ema.Decay = 1.5);
    }

    [Fact]
    public void LoadStateDict_WrongShape_Throws()
    {
        var ema = new Ema(new Linear(3, 2, new Rng(1)));
        var src = new Dictionary<string, Tensor> { ["weight"] = Tensor.Zeros(2, 2), ["bias"] = Tensor.Zeros(2) };
        Assert.Throws<StateDictMismatchException>(() => ema.LoadStateDict(src));
    }

    [Fact]
    public void Update_AllocatesNothing()
    {
        var model = new Sequential(new Linear(64, 32, new Rng(1)), new BatchNorm1d(32));
        var ema = new Ema(model, 0.99);
        ema.Update();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            ema.Update();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
