using BenchmarkDotNet.Running;
using Offramp.Benchmarks;

// `--quick`: a short Stopwatch loop printing GFLOP/s per shape (no BenchmarkDotNet); otherwise BenchmarkDotNet
// with a GFLOP/s column (e.g. `--filter *Gemm*`).
// `--direct-images K`: the direct convolution's images per task fixed at K (1 = one image per task, as before the
// per-task grouping of small images), to compare the grouping with the same build.
if (Array.IndexOf(args, "--direct-images") is int di and >= 0)
{
    Offramp.Engine.Kernels.Conv.DirectImagesPerTaskOverride = int.Parse(args[di + 1], System.Globalization.CultureInfo.InvariantCulture);
}

if (args.Contains("--quick") && args.Contains("--attention"))
{
    AttentionQuickBench.Run(args);
}
else if (args.Contains("--quick") && args.Contains("--model-ops"))
{
    ModelOpsQuickBench.Run(args);
}
else if (args.Contains("--quick") && args.Contains("--train-ops"))
{
    TrainOpsQuickBench.Run(args);
}
else if (args.Contains("--quick") && args.Contains("--vit-ops"))
{
    VitOpsQuickBench.Run(args);
}
else if (args.Contains("--quick") && args.Contains("--depthwise"))
{
    DepthwiseQuickBench.Run(args);
}
else if (args.Contains("--quick"))
{
    QuickBench.Run(args.Where(a => a != "--quick").ToArray());
}
else
{
    BenchmarkSwitcher.FromAssembly(typeof(QuickBench).Assembly).Run(args, BenchConfig.Create());
}
