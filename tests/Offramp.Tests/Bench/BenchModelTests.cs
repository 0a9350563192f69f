using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Offramp.Bench;
using Offramp.Engine;
using Offramp.Engine.Optim;

namespace Offramp.Tests.Bench;

public class BenchModelTests
{
    // Reference numbers from the PyTorch peer's own constructors and MAC hooks (torch 1.13.1, run once):
    //   env -u OPENBLAS_CORETYPE /usr/bin/python3 -c '
    //     import sys; sys.argv = ["torch_bench.py", "info"]; sys.path.insert(0, "../shared/bench")
    //     import torch, torch_bench as tb
    //     for inp in ("fm", "c10"):
    //       for name in ("cnn", "vit", "dp"):
    //         m = tb.build(name, tb.INPUTS[inp], 6); n = len(m.exits)
    //         print(name, inp, tb.nparams([m]), [tb.nparams(m.parts_upto(k)) for k in range(1, n + 1)],
    //               tb.count_macs_per_exit(m, tb.INPUTS[inp]))'
    // printed:
    //   cnn fm  697022  [37802, 170164, 697022]   [29127488, 54818240, 80509632]
    //   vit fm  2689182 [905098, 1797140, 2689182] [46309248, 92467968, 138626688]
    //   dp fm   1454654 [281130, 662708, 1454654] [42497792, 75938816, 107172096]
    //   cnn c10 697598  [38378, 170740, 697598]   [38633792, 72188864, 105744576]
    //   vit c10 2698206 [914122, 1806164, 2698206] [61344384, 122098944, 182853504]
    //   dp c10  1455230 [281706, 663284, 1455230] [54953216, 97487360, 137137920]
    public static TheoryData<string, string, long, long[], long[]> TorchCounts => new()
    {
        { "cnn", "fm", 697022, [37802, 170164, 697022], [29127488, 54818240, 80509632] },
        { "vit", "fm", 2689182, [905098, 1797140, 2689182], [46309248, 92467968, 138626688] },
        { "dp", "fm", 1454654, [281130, 662708, 1454654], [42497792, 75938816, 107172096] },
        { "cnn", "c10", 697598, [38378, 170740, 697598], [38633792, 72188864, 105744576] },
        { "vit", "c10", 2698206, [914122, 1806164, 2698206], [61344384, 122098944, 182853504] },
        { "dp", "c10", 1455230, [281706, 663284, 1455230], [54953216, 97487360, 137137920] },
    };

    // The same constructors' state_dict(): number of entries and the first 16 hex digits of SHA-256 over the lines
    // "key dim0xdim1x...\n" in order (a scalar has an empty shape):
    //   sd = m.state_dict(); lines = "".join(f"{k} {'x'.join(str(d) for d in v.shape)}\n" for k, v in sd.items())
    //   print(name, inp, len(sd), hashlib.sha256(lines.encode()).hexdigest()[:16])
    public static TheoryData<string, string, int, string> TorchStateDicts => new()
    {
        { "cnn", "fm", 96, "823a4c1fb4a5a487" },
        { "vit", "fm", 88, "a61d7d28fab87f7d" },
        { "dp", "fm", 169, "cf8e780169f2cb88" },
        { "cnn", "c10", 96, "63db15a86a410498" },
        { "vit", "c10", 88, "4f3568959504fc26" },
        { "dp", "c10", 169, "7a0ce2c166b95d00" },
    };

    public static TheoryData<string, string> Matrix
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var name in BenchModels.Names)
            {
                foreach (var input in BenchInput.All)
                {
                    data.Add(name, input.Name);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TorchCounts))]
    public void Counts_MatchTorchPeer(string name, string input, long total, long[] upto, long[] macs)
    {
        var m = BenchModels.Create(name, BenchInput.Parse(input), new Rng(0));
        Assert.Equal(total, m.ParameterCount());
        Assert.Equal(upto, Enumerable.Range(1, m.ExitCount).Select(m.ParameterCountUpToExit).ToArray());
        Assert.Equal(macs, m.MacsPerExit());
    }

    [Theory]
    [MemberData(nameof(TorchStateDicts))]
    public void StateDict_KeysAndShapes_MatchTorchPeer(string name, string input, int count, string sha)
    {
        var sd = BenchModels.Create(name, BenchInput.Parse(input), new Rng(0)).StateDict();
        var lines = new StringBuilder();
        foreach (var e in sd.Entries)
        {
            lines.Append(e.Key).Append(' ')
                .Append(string.Join('x', e.Tensor.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append('\n');
        }

        Assert.Equal(count, sd.Count);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines.ToString())))[..16];
        Assert.True(hash == sha, $"state-dict keys/shapes differ from torch's; ours:\n{lines}");
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void ForwardExits_UpToK_ReturnsKLogits(string name, string input)
    {
        var bi = BenchInput.Parse(input);
        var rng = new Rng(1);
        var m = BenchModels.Create(name, bi, rng);
        m.Eval();
        using var _ = Autograd.NoGrad();
        var x = Tensor.Randn(rng, bi.BatchShape(2));
        var full = m.ForwardExits(x);
        Assert.Equal(m.ExitCount, full.Count);
        for (int k = 1; k <= m.ExitCount; k++)
        {
            var part = m.ForwardExits(x, k);
            Assert.Equal(k, part.Count);
            Assert.Equal([2, 10], part.Last.Shape);
            // Running fewer exits changes nothing about the ones that ran.
            Assert.True(part.Last.AllClose(full.Logits[k - 1], rtol: 0, atol: 0), $"exit {k} differs");
        }
    }

    [Fact]
    public void ForwardExits_WrongInputOrExit_Throws()
    {
        var m = BenchModels.Create("cnn", BenchInput.Fm, new Rng(0));
        var e = Assert.Throws<ArgumentException>(() => m.ForwardExits(Tensor.Zeros(1, 3, 32, 32)));
        Assert.Contains("(N, 1, 28, 28)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => m.ForwardExits(Tensor.Zeros(1, 1, 28, 28), 4));
        Assert.Throws<ArgumentException>(() => BenchModels.Create("resnet", BenchInput.Fm, new Rng(0)));
    }

    [Theory]
    [InlineData("cnn", true)]
    [InlineData("vit", false)]
    [InlineData("dp", true)]
    public void TrainStep_SetsEveryGradientAndLowersLoss(string name, bool setToNone)
    {
        var rng = new Rng(3);
        var m = BenchModels.Create(name, BenchInput.Fm, rng);
        var opt = new Sgd(m.Parameters(), lr: 0.01, momentum: 0.9);
        var x = Tensor.Randn(rng, BenchInput.Fm.BatchShape(4));
        int[] y = [1, 2, 3, 4];
        double first = ModelBench.TrainStep(m, opt, x, y, setToNone);
        Assert.All(m.Parameters(), p => Assert.NotNull(p.Grad));
        double last = first;
        for (int i = 0; i < 4; i++)
        {
            last = ModelBench.TrainStep(m, opt, x, y, setToNone);
        }

        Assert.True(double.IsFinite(first) && last < first, $"loss {first} -> {last}");
    }
}
