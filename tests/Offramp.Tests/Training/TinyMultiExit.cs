using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models;

namespace Offramp.Tests.Training;

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
        Fc0 = RegisterModule("fc0", new Linear(_features, hidden, rng));
        Bn0 = RegisterModule("bn0", new BatchNorm1d(hidden));
        Head0 = RegisterModule("head0", new Linear(hidden, classes, rng));
        Fc1 = RegisterModule("fc1", new Linear(hidden, hidden, rng));
        Drop1 = RegisterModule("drop1", new Dropout(dropout, rng.Fork()));
        Head1 = RegisterModule("head1", new Linear(hidden, classes, rng));
    }

    public Linear Fc0 { get; }

    public BatchNorm1d Bn0 { get; }

    public Linear Head0 { get; }

    public Linear Fc1 { get; }

    public Dropout Drop1 { get; }

    public Linear Head1 { get; }

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
