using System.Diagnostics;
using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Inference;
using Offramp.Models;
using Offramp.Models.ResNets;

using static Offramp.Benchmarks.Laps;

namespace Offramp.Benchmarks;

/// <summary>
/// `--quick --model-ops`: where inference time goes in a registered ResNet (default `resnet_fm`) at one batch size:
/// milliseconds per staged segment (Start + RunToExit k, heads included) and per op kind of the first segment (stem
/// conv, BatchNorm, ReLU, the SDN head's pools), eval mode, no gradients, median of repeated runs.
/// Options: `--threads N`, `--batch B` (64), `--model NAME`, `--reps R` (25), `--weights FILE.safetensors` (trained weights instead of the initialisation), `--keep1 F` / `--keep2 F` (shares of the batch the
/// dynamic path carries past exits 0 and 1; 0.8 and 0.63), `--frozen` (convolution weights packed once, as the inference
/// runners run them: <see cref="FrozenWeights"/>). Prints the median and the minimum.
/// </summary>
public static class ModelOpsQuickBench
{
    // Timed runs per figure (--reps).
    private static int _reps = 25;

    public static void Run(string[] args)
    {
        string Arg(string name, string dflt) => Array.IndexOf(args, name) is int i and >= 0 ? args[i + 1] : dflt;
        Parallelism.Threads = int.Parse(Arg("--threads", Parallelism.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);
        int n = int.Parse(Arg("--batch", "64"), System.Globalization.CultureInfo.InvariantCulture);
        _reps = int.Parse(Arg("--reps", "25"), System.Globalization.CultureInfo.InvariantCulture);
        var model = (ResNet)ModelRegistry.Create(Arg("--model", "resnet_fm"));
        if (Array.IndexOf(args, "--weights") >= 0)
        {
            Offramp.Engine.IO.StateDictFiles.Load(model, Arg("--weights", ""));
        }

        model.Eval();
        using var noGrad = Autograd.NoGrad();
        using var frozen = args.Contains("--frozen") ? FrozenWeights.Freeze() : null;
        var x = Tensor.Randn(new Rng(1), [n, .. model.InputShape]);
        Console.WriteLine($"{model.GetType().Name} {Arg("--model", "resnet_fm")}, batch {n}, threads {Parallelism.Threads}; median ms");

        // Segments, as ExitLatency and the dynamic runner run them.
        var samples = Lists(model.Exits.Count + 1);
        for (int r = 0; r < _reps; r++)
        {
            using var step = TensorMemory.Step();
            var sw = Stopwatch.StartNew();
            var st = model.Start(x);
            Lap(sw, samples[0]);
            for (int k = 0; k < model.Exits.Count; k++)
            {
                model.RunToExit(st, k);
                Lap(sw, samples[k + 1]);
            }
        }

        Console.WriteLine($"  start (stem)     {Median(samples[0])}");
        for (int k = 0; k < model.Exits.Count; k++)
        {
            Console.WriteLine($"  segment {k} ({model.Exits[k].Name,-10}) {Median(samples[k + 1])}");
        }

        // The dynamic runner's path with compaction: 80 % of the rows go on after exit 0 and 63 % after exit 1 (about
        // the 75 % budget's split), each piece timed: where the time beyond "segment time × rows kept" goes.
        if (model.Exits.Count == 3)
        {
            var dyn = Lists(5);

            // --keep1 F / --keep2 F: other shares of the batch going on after exits 0 and 1 (the rows kept are spread over it).
            double f1 = double.Parse(Arg("--keep1", "0.8"), CultureInfo.InvariantCulture);
            double f2 = double.Parse(Arg("--keep2", "0.63"), CultureInfo.InvariantCulture);
            int n1 = (int)Math.Round(f1 * n);
            int[] keep1 = [.. Enumerable.Range(0, n1).Select(i => (int)((long)i * n / n1))];
            int n2 = Math.Min(n1, (int)Math.Round(f2 * n));
            int[] keep2 = [.. Enumerable.Range(0, keep1.Length).Where(i => i < n2)];
            for (int r = 0; r < _reps; r++)
            {
                using var step = TensorMemory.Step();
                var sw = Stopwatch.StartNew();
                var st = model.Start(x);
                model.RunToExit(st, 0);
                Lap(sw, dyn[0]);
                st = st.Keep(keep1);
                Lap(sw, dyn[1]);
                model.RunToExit(st, 1);
                Lap(sw, dyn[2]);
                st = st.Keep(keep2);
                Lap(sw, dyn[3]);
                model.RunToExit(st, 2);
                Lap(sw, dyn[4]);
            }

            Console.WriteLine($"  dynamic ({keep1.Length} then {keep2.Length} rows): start+seg0 {Median(dyn[0])}, keep {Median(dyn[1])}, " +
                $"seg1 {Median(dyn[2])}, keep {Median(dyn[3])}, seg2 {Median(dyn[4])}");
        }

        // The first segment as a chain of timed pieces in one step (each piece reads its predecessor's fresh output).
        var chain = Lists(4);
        for (int r = 0; r < _reps; r++)
        {
            using var step = TensorMemory.Step();
            var sw = Stopwatch.StartNew();
            var s0 = model.Conv1.ForwardNormAct(x, model.Bn1, relu: true);
            Lap(sw, chain[0]);
            var s1 = model.Blocks[0].Forward(s0);
            Lap(sw, chain[1]);
            model.Heads[0].Forward(s1);
            Lap(sw, chain[2]);
            model.Blocks[1].Forward(s1);
            Lap(sw, chain[3]);
        }

        Console.WriteLine($"  chain: stem {Median(chain[0])}, block 0 {Median(chain[1])}, head 0 {Median(chain[2])}, block 1 {Median(chain[3])}");

        // The first segment's ops one by one on their real shapes.
        var b = (BasicBlock)model.Blocks[0];
        var stem = model.Conv1.Forward(x);
        var h = b.Conv1.Forward(stem);
        Op("stem conv", () => model.Conv1.Forward(x));
        Op("stem bn", () => model.Bn1.Forward(stem));
        Op("stem relu", () => stem.Relu());
        Op("stem fused", () => model.Conv1.ForwardNormAct(x, model.Bn1, relu: true));
        Op("block conv1 (s2)", () => b.Conv1.Forward(stem));
        Op("block bn1", () => b.Bn1.Forward(h));
        Op("block relu", () => h.Relu());
        Op("block conv2", () => b.Conv2.Forward(h));
        Op("residual add", () => h.Add(h));
        if (b.Downsample is { } ds)
        {
            Op("downsample", () => ds.Forward(stem));
        }

        Op("whole block 0", () => b.Forward(stem));
        Op("block 0 unfused", () => b.Bn2.Forward(b.Conv2.Forward(b.Bn1.Forward(b.Conv1.Forward(stem)).Relu()))
            .Add(b.Downsample is { } d ? d.Forward(stem) : stem).Relu());
        var head = model.Heads[0];
        Op("exit head 0", () => head.Forward(h));
        if (head is Offramp.Models.Heads.SdnExitHead { Alpha: { } alpha, KernelSize: > 1 } sdn)
        {
            Op("  head 0 pool mix", () => Offramp.Engine.Functional.F.MaxAvgPoolMix(h, sdn.KernelSize, alpha));
            var pooled = Offramp.Engine.Functional.F.MaxAvgPoolMix(h, sdn.KernelSize, alpha);
            Op("  max_pool2d alone", () => Offramp.Engine.Functional.F.MaxPool2d(h, sdn.KernelSize, sdn.KernelSize));
            Op("  avg_pool2d alone", () => Offramp.Engine.Functional.F.AvgPool2d(h, sdn.KernelSize, sdn.KernelSize));
            Op("  h.Sum() (one pass)", () => h.Sum());
            Op("  head 0 linear", () => sdn.Linear.Forward(pooled.Reshape(pooled.Shape[0], pooled.Numel / pooled.Shape[0])));
        }
    }

    private static void Op(string name, Func<Tensor> f)
    {
        var t = new List<double>();
        for (int r = 0; r < _reps; r++)
        {
            using var step = TensorMemory.Step();
            var sw = Stopwatch.StartNew();
            f();
            t.Add(sw.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"  {name,-18} {Median(t)}");
    }

    private static string Median(List<double> v) => $"{DynamicRunner.Median([.. v]),7:F3} (min {v.Min(),7:F3})";
}
