using System.Reflection;
using System.Runtime.Intrinsics.X86;
using System.Text.Json.Nodes;
using Offramp.Engine;
using Offramp.Engine.Functional;
using Offramp.Engine.Optim;

namespace Offramp.Bench;

/// <summary>
/// Measures one reference model the way <c>torch_bench.py</c>'s <c>bench_model</c> does: batch-1 latency for each
/// "run to exit k", batch-64 and batch-256 throughput, batch-64 exit-1 throughput (all inference in
/// <see cref="Engine.Nn.Module.Eval"/> mode under <see cref="Autograd.NoGrad"/>), and the batch-128 training step
/// (forward of every exit, backward of the summed cross-entropy losses, SGD with momentum 0.9).
/// </summary>
/// <remarks>
/// Every call runs inside its own <see cref="TensorMemory.Step"/>, so activations come from the per-step pool, as
/// in Offramp's training and inference loops. Warm-up call counts are the script's (10 for batch 1, 1 for batches,
/// 2 for training), extended to <see cref="BenchOptions.MinWarmupTime"/> per figure, after one
/// <see cref="BenchOptions.JitWarmupTime"/> of full-model inference per model: .NET compiles hot code in tiers.
/// </remarks>
public static class ModelBench
{
    /// <summary>Batch of the training-step figure (the script's <c>bs = 128</c>).</summary>
    public const int TrainBatch = 128;

    /// <summary>Benchmarks <paramref name="model"/> on <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">Unknown model.</exception>
    public static BenchResult Run(string model, BenchInput input, BenchOptions options)
    {
        int previousThreads = Parallelism.Threads;
        Parallelism.Threads = options.Threads;
        try
        {
            return RunCore(model, input, options);
        }
        finally
        {
            Parallelism.Threads = previousThreads;
        }
    }

    private static BenchResult RunCore(string name, BenchInput input, BenchOptions options)
    {
        var rng = new Rng(options.Seed);
        var model = BenchModels.Create(name, input, rng, options.VitDepth);
        int exits = model.ExitCount;
        int probe = options.SkipProbe ? 0 : options.Threads;
        double lt = options.InferenceMinTime, warm = options.MinWarmupTime;

        BenchTiming Time(Action fn, int minRuns, double minTime, int warmup) =>
            BenchTiming.Measure(fn, minRuns, minTime, warmup, probe, warm);

        model.Eval();
        var latency = new BenchTiming[exits];
        BenchTiming b64, b256, b64Exit1;
        // Inference with the weights packed once (FrozenWeights), as a deployed model runs; closed before training.
        using (Autograd.NoGrad())
        using (FrozenWeights.Freeze())
        {
            var x1 = Tensor.Randn(rng, input.BatchShape(1));
            var jit = System.Diagnostics.Stopwatch.StartNew();
            while (jit.Elapsed.TotalSeconds < options.JitWarmupTime)
            {
                Infer(model, x1, exits);
            }

            // The script's order: exits 1..E-1, then the full model.
            for (int k = 1; k <= exits; k++)
            {
                int upto = k;
                latency[k - 1] = Time(() => Infer(model, x1, upto), 20, lt, 10);
            }

            var x64 = Tensor.Randn(rng, input.BatchShape(64));
            b64 = Time(() => Infer(model, x64, exits), 3, lt, 1);
            var x256 = Tensor.Randn(rng, input.BatchShape(256));
            b256 = Time(() => Infer(model, x256, exits), 3, lt, 1);
            b64Exit1 = Time(() => Infer(model, x64, 1), 3, lt, 1);
        }

        model.Train();
        var opt = new Sgd(model.Parameters(), lr: 0.01, momentum: 0.9);
        var xb = Tensor.Randn(rng, input.BatchShape(TrainBatch));
        var yb = new int[TrainBatch];
        for (int i = 0; i < yb.Length; i++)
        {
            yb[i] = rng.NextInt(model.NumClasses);
        }

        // A fresh pool, so that the arena figure counts this model's training step only.
        TensorMemory.Trim();
        var train = Time(() => TrainStep(model, opt, xb, yb, options.ZeroGradSetToNone), 3, options.TrainMinTime, 2);
        return new BenchResult
        {
            Model = name,
            Input = input.Name,
            Threads = options.Threads,
            Exits = exits,
            ParamsTotal = model.ParameterCount(),
            ParamsUpToExit = [.. Enumerable.Range(1, exits).Select(model.ParameterCountUpToExit)],
            MacsUpToExit = model.MacsPerExit(),
            LatencyB1 = latency,
            ThroughputB64 = b64,
            ThroughputB256 = b256,
            ThroughputB64Exit1 = b64Exit1,
            TrainB128 = train,
            ZeroGradSetToNone = options.ZeroGradSetToNone,
            TrainArenaBytes = TensorMemory.PooledBytes,
        };
    }

    /// <summary>One inference call: exits 1..<paramref name="upto"/> in a step arena (the caller holds NoGrad).</summary>
    internal static void Infer(BenchModel model, Tensor x, int upto)
    {
        using var _ = TensorMemory.Step();
        model.ForwardExits(x, upto);
    }

    /// <summary>
    /// One training step as the script's <c>step()</c>: zero_grad, loss = Σ over exits of cross-entropy, backward,
    /// SGD step, all inside one <see cref="TensorMemory.Step"/>. Returns the loss.
    /// </summary>
    internal static double TrainStep(BenchModel model, Optimizer opt, Tensor x, int[] y, bool setToNone)
    {
        opt.ZeroGrad(setToNone);
        using var _ = TensorMemory.Step();
        Tensor? loss = null;
        foreach (var logits in model.ForwardExits(x).Logits)
        {
            var l = F.CrossEntropy(logits, y);
            loss = loss is null ? l : loss.Add(l);
        }

        loss!.Backward();
        opt.Step();
        return loss.Item();
    }

    /// <summary>The environment block of the JSON output (the script's <c>env</c>, for .NET).</summary>
    public static JsonObject EnvironmentJson(int threads) => new()
    {
        ["engine"] = "offramp",
        ["offramp"] = typeof(ModelBench).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
        ["dotnet"] = Environment.Version.ToString(),
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        ["cores"] = Environment.ProcessorCount,
        ["threads"] = threads,
        ["avx512f"] = Avx512F.IsSupported,
        ["avx2"] = Avx2.IsSupported,
        ["server_gc"] = System.Runtime.GCSettings.IsServerGC,
        ["gc_latency_mode"] = System.Runtime.GCSettings.LatencyMode.ToString(),
    };
}
