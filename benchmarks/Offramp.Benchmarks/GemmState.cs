using Offramp.Engine.Kernels;
using Offramp.Engine.Kernels.Reference;

namespace Offramp.Benchmarks;

/// <summary>Operands of one GEMM shape, and the two kernels under test.</summary>
public sealed class GemmState
{
    private readonly GemmShape _s;
    private readonly float[] _a, _b, _c;

    public GemmState(GemmShape s)
    {
        _s = s;
        var rng = new Random(1);
        _a = Enumerable.Range(0, s.M * s.K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _b = Enumerable.Range(0, s.K * s.N).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _c = new float[s.M * s.N];
    }

    public void Fast() => Gemm.Sgemm(_s.TransA, _s.TransB, _s.M, _s.N, _s.K, 1f, _a, _s.TransA ? _s.M : _s.K,
        _b, _s.TransB ? _s.K : _s.N, 0f, _c, _s.N);

    public void Reference() => GemmReference.Gemm(_s.TransA, _s.TransB, _s.M, _s.N, _s.K, 1f, _a,
        _s.TransA ? _s.M : _s.K, _b, _s.TransB ? _s.K : _s.N, 0f, _c, _s.N);
}
