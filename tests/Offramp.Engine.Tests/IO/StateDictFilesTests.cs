using System.Text.Json;
using Offramp.Engine.IO;
using Offramp.Engine.Nn;

namespace Offramp.Engine.Tests.IO;

public class StateDictFilesTests
{
    private static Sequential TorchSequential(Rng rng) => new(
        new Conv2d(1, 2, 3, rng), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 3, rng), new BatchNorm1d(3));

    private static float[] Bits(JsonElement e) =>
        e.GetProperty("f32_bits").EnumerateArray().Select(v => BitConverter.Int32BitsToSingle(unchecked((int)v.GetUInt32()))).ToArray();

    [Fact]
    public void Load_FileWrittenByPyTorch_ReproducesTorchEvalOutput()
    {
        // tools/safetensors_fixtures.py: torch.nn.Sequential(Conv2d(1,2,3), BatchNorm2d(2), ReLU(), Flatten(),
        // Linear(8,3), BatchNorm1d(3)) after one training step, its state_dict, an eval input and torch's output.
        var dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "safetensors");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "state_dict.expected.json")));
        var model = TorchSequential(new Rng(1));
        StateDictFiles.Load(model, Path.Combine(dir, "state_dict.safetensors"));
        Assert.Equal(1.0, model.StateDict()["1.num_batches_tracked"].Item());
        model.Eval();
        var input = Tensor.FromArray(Bits(doc.RootElement.GetProperty("eval_input")), 2, 1, 4, 4);
        Tensor y;
        using (Engine.Autograd.NoGrad())
        {
            y = model.Forward(input);
        }

        TestUtil.AssertClose(Bits(doc.RootElement.GetProperty("eval_output")), y.ToArray(), 1e-6, 1e-5, "torch eval output");
    }

    [Fact]
    public void SaveLoad_RoundTrip_IsBitExactAndKeepsInt64()
    {
        var a = TorchSequential(new Rng(2));
        var b = TorchSequential(new Rng(3));
        var path = Path.Combine(Path.GetTempPath(), $"offramp-sd-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDictFiles.Save(a, path);
            var file = Safetensors.Read(path);
            Assert.Equal(SafetensorsDType.I64, file["1.num_batches_tracked"].DType);
            StateDictFiles.Load(b, path);
            foreach (var (key, t) in a.StateDict())
            {
                Assert.Equal(t.ToArray(), b.StateDict()[key].ToArray());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_WrongModule_NamesKeysAndChangesNothing()
    {
        var a = TorchSequential(new Rng(2));
        var path = Path.Combine(Path.GetTempPath(), $"offramp-sd-{Guid.NewGuid():N}.safetensors");
        try
        {
            StateDictFiles.Save(a, path);
            var other = new Sequential(new Conv2d(1, 2, 3, new Rng(4)), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 4, new Rng(5)));
            var before = other.StateDict().Select(kv => kv.Value.ToArray()).ToList();
            var ex = Assert.Throws<StateDictMismatchException>(() => StateDictFiles.Load(other, path));
            Assert.Contains("5.weight", ex.Message);
            Assert.Contains("4.weight", ex.Message);
            Assert.Equal(before, other.StateDict().Select(kv => kv.Value.ToArray()).ToList());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
