using BenchmarkDotNet.Attributes;

namespace Offramp.Benchmarks;

/// <summary>The blocked AVX-512 SGEMM on square and skinny (im2col, Linear) shapes.</summary>
public class GemmBenchmarks
{
    private GemmState _state = null!;

    public static IEnumerable<GemmShape> AllShapes => Shapes.Gemm;

    [ParamsSource(nameof(AllShapes))]
    public GemmShape Shape { get; set; } = Shapes.Gemm[0];

    [GlobalSetup]
    public void Setup() => _state = new GemmState(Shape);

    [Benchmark]
    public void Fast() => _state.Fast();
}

/// <summary>The naive triple loop, on the shapes small enough to time (it runs at about 1 GFLOP/s).</summary>
public class GemmReferenceBenchmarks
{
    private GemmState _state = null!;

    public static IEnumerable<GemmShape> SmallShapes => Shapes.Gemm.Where(s => s.Flops <= 1 << 28);

    [ParamsSource(nameof(SmallShapes))]
    public GemmShape Shape { get; set; } = Shapes.Gemm[0];

    [GlobalSetup]
    public void Setup() => _state = new GemmState(Shape);

    [Benchmark]
    public void Reference() => _state.Reference();
}

/// <summary>conv2d: the engine's float32 op (im2col + GEMM, or direct depthwise) and the naive 7-loop reference.</summary>
public class ConvBenchmarks
{
    private ConvState _state = null!;

    public static IEnumerable<ConvShape> AllShapes => Shapes.Conv;

    [ParamsSource(nameof(AllShapes))]
    public ConvShape Shape { get; set; } = Shapes.Conv[0];

    [GlobalSetup]
    public void Setup() => _state = new ConvState(Shape);

    [Benchmark]
    public void Forward() => _state.Forward();

    [Benchmark]
    public void ForwardBackward() => _state.ForwardBackward();

    [Benchmark]
    public void Reference() => _state.Reference();
}
