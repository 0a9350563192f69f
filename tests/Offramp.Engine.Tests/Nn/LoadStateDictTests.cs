using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Nn;

public class LoadStateDictTests
{
    private static Sequential Model(ulong seed) => new(new Linear(3, 4, new Rng(seed)), new BatchNorm1d(4));

    private static Dictionary<string, float[]> Snapshot(Module m) => m.StateDict().ToDictionary(e => e.Key, e => e.Value.ToArray());

    private static void AssertUnchanged(Dictionary<string, float[]> before, Module m)
    {
        foreach (var (k, t) in m.StateDict())
        {
            Assert.Equal(before[k], t.ToArray());
        }
    }

    [Fact]
    public void LoadStateDict_FromOtherModel_CopiesInPlace()
    {
        var a = Model(1);
        var b = Model(2);
        var weight = b.StateDict()["0.weight"];
        a.StateDict()["1.running_mean"].Fill(0.5);
        a.StateDict()["1.num_batches_tracked"].Fill(7);
        var result = b.LoadStateDict(a.StateDict());
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Same(weight, b.StateDict()["0.weight"]);
        foreach (var (k, t) in a.StateDict())
        {
            Assert.Equal(t.ToArray(), b.StateDict()[k].ToArray());
            Assert.False(t.SharesStorageWith(b.StateDict()[k]));
        }
    }

    [Fact]
    public void LoadStateDict_Strict_NamesMissingUnexpectedAndMisshaped_LeavesModuleUnchanged()
    {
        var m = Model(1);
        var before = Snapshot(m);
        var src = Model(2).StateDict().ToDictionary(e => e.Key, e => e.Value.CloneData().Fill(9));
        src.Remove("1.running_var");
        src["0.weight"] = Tensor.Zeros(4, 5);
        src["2.weight"] = Tensor.Zeros(1);
        var ex = Assert.Throws<StateDictMismatchException>(() => m.LoadStateDict(src));
        Assert.Equal(["1.running_var"], ex.MissingKeys);
        Assert.Equal(["2.weight"], ex.UnexpectedKeys);
        Assert.Single(ex.ShapeMismatches);
        Assert.Contains("\"1.running_var\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"2.weight\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("size mismatch for 0.weight", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 3)", ex.Message, StringComparison.Ordinal);
        AssertUnchanged(before, m);
    }

    [Fact]
    public void LoadStateDict_NonStrict_SkipsMissingAndUnexpected_ReturnsThem()
    {
        var m = Model(1);
        var src = new Dictionary<string, Tensor> { ["0.bias"] = Tensor.Full([4], 2.0), ["extra"] = Tensor.Zeros(1) };
        var r = m.LoadStateDict(src, strict: false);
        Assert.Equal(["extra"], r.UnexpectedKeys);
        Assert.Equal(6, r.MissingKeys.Count);
        Assert.All(m.StateDict()["0.bias"].ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void LoadStateDict_NonStrict_ShapeMismatchStillThrows_Unchanged()
    {
        var m = Model(1);
        var before = Snapshot(m);
        var src = new Dictionary<string, Tensor> { ["0.bias"] = Tensor.Full([4], 2.0), ["0.weight"] = Tensor.Zeros(3, 4) };
        var ex = Assert.Throws<StateDictMismatchException>(() => m.LoadStateDict(src, strict: false));
        Assert.Empty(ex.MissingKeys);
        Assert.Contains("size mismatch for 0.weight", ex.Message, StringComparison.Ordinal);
        AssertUnchanged(before, m);
    }

    [Fact]
    public void LoadStateDict_Float64Values_ConvertedToFloat32()
    {
        var m = new Linear(2, 1, new Rng(1));
        m.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray([0.25, -1.5], 1, 2),
            ["bias"] = Tensor.FromArray([3.0], 1),
        });
        Assert.Equal(DType.Float32, m.Weight.DType);
        Assert.Equal([0.25f, -1.5f], m.Weight.ToArray());
        Assert.Equal([3f], m.Bias!.ToArray());
    }

    [Fact]
    public void LoadStateDict_NonPersistentBuffer_IsUnexpected()
    {
        var m = Model(1);
        var src = m.StateDict().ToDictionary(e => e.Key, e => e.Value);
        src["1.tmp"] = Tensor.Zeros(1);
        var ex = Assert.Throws<StateDictMismatchException>(() => m.LoadStateDict(src));
        Assert.Equal(["1.tmp"], ex.UnexpectedKeys);
    }
}
