using Offramp.Engine.IO;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.Nn;

/// <summary>The state dict's dtype hints are enough for a safetensors writer to produce PyTorch's file.</summary>
public class StateDictSafetensorsTests
{
    private static IEnumerable<SafetensorsEntry> Entries(StateDict sd) => sd.Entries.Select(e => e.TorchDType == TorchDType.Int64
        ? SafetensorsEntry.FromInt64(e.Key, e.Tensor.ToDoubleArray().Select(v => (long)v).ToArray(), e.Tensor.Shape)
        : SafetensorsEntry.FromTensor(e.Key, e.Tensor));

    [Fact]
    public void StateDict_WrittenWithHints_NumBatchesTrackedIsI64_RoundTrips()
    {
        var a = new Sequential(new Conv2d(2, 3, 3, new Rng(1), bias: false), new BatchNorm2d(3), new Flatten(), new Linear(3, 2, new Rng(1)));
        a.StateDict()["1.num_batches_tracked"].Fill(12);
        a.StateDict()["1.running_var"].Fill(0.5);
        var file = Safetensors.Read(Safetensors.Serialize(Entries(a.StateDict())));
        Assert.Equal(SafetensorsDType.I64, file["1.num_batches_tracked"].DType);
        Assert.Empty(file["1.num_batches_tracked"].Shape);
        Assert.Equal(SafetensorsDType.F32, file["0.weight"].DType);

        var b = new Sequential(new Conv2d(2, 3, 3, new Rng(2), bias: false), new BatchNorm2d(3), new Flatten(), new Linear(3, 2, new Rng(2)));
        b.LoadStateDict(file.ToDictionary(e => e.Name, e => e.DType == SafetensorsDType.I64
            ? Tensor.FromArray(e.ToInt64Array().Select(v => (float)v).ToArray(), e.Shape)
            : e.ToTensor()));
        foreach (var (k, t) in a.StateDict())
        {
            Assert.Equal(t.ToArray(), b.StateDict()[k].ToArray());
        }
    }
}
