namespace Offramp.Bench;

/// <summary>
/// How long and how <see cref="ModelBench"/> measures; <see cref="For"/> gives <c>torch_bench.py</c>'s settings.
/// </summary>
public sealed record BenchOptions
{
    /// <summary>Kernel threads (<c>Parallelism.Threads</c>); also the number of clock-probe threads.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Minimum seconds of timed calls per inference figure (the script: 0.5 with --quick, else 2).</summary>
    public double InferenceMinTime { get; init; } = 2.0;

    /// <summary>Minimum seconds of timed training steps (the script: 1 with --quick, else 3).</summary>
    public double TrainMinTime { get; init; } = 3.0;

    /// <summary>
    /// Minimum seconds of warm-up per figure, on top of the script's warm-up call counts: .NET compiles hot code
    /// in tiers, and timing before the optimised tier would measure the JIT, not the engine.
    /// </summary>
    public double MinWarmupTime { get; init; } = 0.5;

    /// <summary>
    /// Seconds of batch-1 full-model inference run once per model before the first figure, so that the engine's
    /// code is compiled to its optimised tier before anything is timed. Without it the first figure (batch-1
    /// exit 1) measured 3–4× too slow on a loaded 2-core host (6.8 ms, against 1.7–2.0 ms after 3 s of warm-up).
    /// </summary>
    public double JitWarmupTime { get; init; } = 3.0;

    /// <summary>Depth of <c>vit</c> (the script's <c>--vit-depth</c>).</summary>
    public int VitDepth { get; init; } = 6;

    /// <summary>Seed of the model initialisation and the random inputs.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Whether the training step clears gradients with <c>ZeroGrad(setToNone: true)</c> as the script's
    /// <c>zero_grad(set_to_none=True)</c> does (fresh gradient arrays every step), or zero-fills and reuses them.
    /// </summary>
    public bool ZeroGradSetToNone { get; init; } = true;

    /// <summary>Skip the clock probe (tests).</summary>
    public bool SkipProbe { get; init; }

    /// <summary>The script's settings: full, or <c>--quick</c>.</summary>
    public static BenchOptions For(int threads, bool quick) => new()
    {
        Threads = threads,
        InferenceMinTime = quick ? 0.5 : 2.0,
        TrainMinTime = quick ? 1.0 : 3.0,
        MinWarmupTime = quick ? 0.5 : 1.0,
        JitWarmupTime = quick ? 2.0 : 3.0,
    };
}
