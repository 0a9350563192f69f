using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models;

namespace Offramp.Tests.Training;

/// <summary>y = x·Wᵀ + b from broadcasting primitives (the engine's F.Linear is not needed for these tests).</summary>
internal sealed class TestLinear : Module
{
    public TestLinear(int inFeatures, int outFeatures, Rng rng)
    {
        double bound = 1 / Math.Sqrt(inFeatures); // PyTorch's default Linear init range
        using var _ = TensorMemory.Persistent();
        Weight = RegisterParameter("weight", Tensor.Uniform(rng, [outFeatures, inFeatures], -bound, bound));
        Bias = RegisterParameter("bias", Tensor.Uniform(rng, [outFeatures], -bound, bound));
    }

    public Tensor Weight { get; }

    public Tensor Bias { get; }

    // x: (N, in) → (N, 1, in)·(out, in) → sum over in → (N, out)
    public override Tensor Forward(Tensor x) => x.Unsqueeze(1).Mul(Weight).Sum([2]).Add(Bias);
}

/// <summary>
/// Two segments with an exit each, over (1, 4, 4) inputs (or any shape, flattened): fc0 → BatchNorm → ReLU → exit1; fc1 → ReLU → Dropout →
/// exit2. It has parameters, running statistics (an int64 buffer) and a dropout RNG: everything a checkpoint must hold.
/// </summary>
internal sealed class TinyMultiExit : MultiExitModel
{
    private readonly ExitInfo[] _exits = [new(0, "exit1", 100), new(1, "exit2", 200)];
    private readonly int _features;

    public TinyMultiExit(ulong seed = 1, int classes = 3, int hidden = 12, double dropout = 0.2, int[]? inputShape = null)
    {
        var rng = new Rng(seed);
        NumClasses = classes;
        InputShape = inputShape ?? [1, 4, 4];
        _features = InputShape.Aggregate(1, (a, b) => a * b);
        Fc0 = RegisterModule("fc0", new TestLinear(_features, hidden, rng));
        Bn0 = RegisterModule("bn0", new BatchNorm1d(hidden));
        Head0 = RegisterModule("head0", new TestLinear(hidden, classes, rng));
        Fc1 = RegisterModule("fc1", new TestLinear(hidden, hidden, rng));
        Drop1 = RegisterModule("drop1", new Dropout(dropout, rng.Fork()));
        Head1 = RegisterModule("head1", new TestLinear(hidden, classes, rng));
    }

    public TestLinear Fc0 { get; }

    public BatchNorm1d Bn0 { get; }

    public TestLinear Head0 { get; }

    public TestLinear Fc1 { get; }

    public Dropout Drop1 { get; }

    public TestLinear Head1 { get; }

    public override IReadOnlyList<ExitInfo> Exits => _exits;

    public override int NumClasses { get; }

    public override int[] InputShape { get; }

    protected override ExitState StartCore(Tensor input) => new TensorExitState(input.Reshape(input.Shape[0], _features));

    protected override Tensor RunToExitCore(ExitState state, int k)
    {
        var s = (TensorExitState)state;
        if (k == 0)
        {
            s.Features = Bn0.Forward(Fc0.Forward(s.Features)).Relu();
            return Head0.Forward(s.Features);
        }

        s.Features = Drop1.Forward(Fc1.Forward(s.Features).Relu());
        return Head1.Forward(s.Features);
    }
}
