using System.Diagnostics;
using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Optim;
using Offramp.Inference;
using Offramp.Models;
using Offramp.Training;

using static Offramp.Benchmarks.Laps;

namespace Offramp.Benchmarks;

/// <summary>
/// `--quick --train-ops`: where one training step of a registered model (default `resnet_fm`) spends its time, as the
/// trainer runs it and builds it from its config (the defaults of `offramp train` with label smoothing 0.1,
/// self-distillation 0.5 and Nesterov momentum, as the main job's config: forward of every exit, the multi-exit loss,
/// backward, SGD) on random images: milliseconds per phase and, from the
/// autograd profiler hook, per op kind in forward (time since the previous recorded op, so untracked work before an op
/// counts to it) and backward. Options: `--threads N`, `--batch B` (128), `--model NAME`, `--model-extra K=V,...`,
/// `--reps R` (20, after 3 warm-up steps), `--by-shape` (op kinds split by output shape). Prints medians over the timed steps and each op kind's share of the total.
/// </summary>
public static class TrainOpsQuickBench
{
    public static void Run(string[] args)
    {
        string Arg(string name, string dflt) => Array.IndexOf(args, name) is int i and >= 0 ? args[i + 1] : dflt;
        var inv = CultureInfo.InvariantCulture;
        Parallelism.Threads = int.Parse(Arg("--threads", Parallelism.Threads.ToString(inv)), inv);
        int n = int.Parse(Arg("--batch", "128"), inv);
        int reps = int.Parse(Arg("--reps", "20"), inv);

        // The model, loss and optimizer as the trainer builds them, from the same config keys and parsing.
        var overrides = new List<KeyValuePair<string, string>>
        {
            new("model", Arg("--model", "resnet_fm")),
            new("label_smoothing", "0.1"),
            new("distill_alpha", "0.5"),
            new("nesterov", "true"),
        };
        if (Arg("--model-extra", "") is { Length: > 0 } extra)
        {
            overrides.Add(new("model_extra", extra));
        }

        var config = TrainConfigLoader.Load(null, overrides);
        var model = ModelRegistry.Create(config.Model, config.ModelOptions(10, [1, 28, 28]));
        model.Train();
        var loss = new MultiExitLoss(config.LossOptions().ForModel(model));
        var groups = WeightDecayGroups.Split(model, config.WeightDecay);
        using (TensorMemory.Persistent())
        {
            foreach (var p in groups.SelectMany(g => g.Params))
            {
                p.Grad ??= Tensor.ZerosLike(p);
            }
        }

        var sgd = new Sgd(groups, config.Lr, config.Momentum, weightDecay: config.WeightDecay, nesterov: config.Nesterov);
        var rng = new Rng(1);
        var x = Tensor.Randn(rng, [n, .. model.InputShape]);
        var labels = Enumerable.Range(0, n).Select(i => i % model.NumClasses).ToArray();
        var profiler = new Profiler { ByShape = args.Contains("--by-shape") };
        var phases = Lists(4);
        var warmUp = Lists(4);
        for (int r = -3; r < reps; r++)
        {
            bool timed = r >= 0;
            var into = timed ? phases : warmUp;
            Autograd.Profiler = timed ? profiler : null;
            sgd.ZeroGrad(setToNone: false);
            var sw = Stopwatch.StartNew();
            using (TensorMemory.Step())
            {
                profiler.Mark();
                var outs = model.ForwardAll(x);
                var res = loss.Compute(outs, labels);
                _ = res.Total.Item();
                Lap(sw, into[0]);
                res.Total.Backward();
                Lap(sw, into[1]);
            }

            Lap(sw, into[2]);
            sgd.Step();
            Lap(sw, into[3]);
        }

        Autograd.Profiler = null;
        double total = phases.Sum(Median);
        Console.WriteLine($"{config.Model} {string.Join(",", config.ModelExtra?.Select(kv => $"{kv.Key}={kv.Value}") ?? [])}, batch {n}, threads {Parallelism.Threads}, {reps} steps; median ms per step, "
            + $"{1000.0 * n / total:F0} img/s");
        string[] phaseNames = ["forward + loss", "backward", "step scope end", "optimizer"];
        for (int i = 0; i < phases.Length; i++)
        {
            Console.WriteLine($"  {phaseNames[i],-16} {Median(phases[i]),8:F2}");
        }

        Console.WriteLine("  per op kind (ms per step; forward = time since the previous recorded op):");
        foreach (var (op, fwd, bwd, count) in profiler.Rows(reps).OrderByDescending(t => t.Fwd + t.Bwd))
        {
            Console.WriteLine($"    {op,-40} fwd {fwd,7:F2}  bwd {bwd,7:F2}  ({count} per step, {100 * (fwd + bwd) / total,4:F1} %)");
        }
    }

    private static double Median(List<double> xs) => DynamicRunner.Median([.. xs]);

    private sealed class Profiler : IOpProfiler
    {
        private readonly Dictionary<string, (long Fwd, long Bwd, int Count)> _ops = [];
        private long _last;

        public void Mark() => _last = Stopwatch.GetTimestamp();

        public bool ByShape { get; init; }

        private string Key(string op, Tensor output) => ByShape ? $"{op} {Shape.Format(output.Shape)}" : op;

        public void OnRecord(string op, Tensor output)
        {
            op = Key(op, output);
            long now = Stopwatch.GetTimestamp();
            var (f, b, c) = _ops.GetValueOrDefault(op);
            _ops[op] = (f + now - _last, b, c + 1);
            _last = Stopwatch.GetTimestamp();
        }

        public void OnBackward(string op, Tensor output, long ticks)
        {
            op = Key(op, output);
            var (f, b, c) = _ops.GetValueOrDefault(op);
            _ops[op] = (f, b + ticks, c);
        }

        public IEnumerable<(string Op, double Fwd, double Bwd, int Count)> Rows(int steps) =>
            _ops.Select(kv => (kv.Key,
                kv.Value.Fwd * 1000.0 / Stopwatch.Frequency / steps,
                kv.Value.Bwd * 1000.0 / Stopwatch.Frequency / steps,
                kv.Value.Count / steps));
    }
}
