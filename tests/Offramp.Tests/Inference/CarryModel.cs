using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models;

namespace Offramp.Tests.Inference;

/// <summary>
/// A three-exit model whose state is not one tensor: the features and the previous exit's logits (as the Dynamic
/// Perceiver carries them), so a runner that assumed <see cref="TensorExitState"/> would fail. It records the batch
/// size of every segment it runs.
/// </summary>
internal sealed class CarryModel : MultiExitModel
{
    private readonly ExitInfo[] _exits = [new(0, "a", 10), new(1, "b", 25), new(2, "c", 40)];
    private readonly Linear[] _segments;
    private readonly Linear[] _heads;

    public CarryModel(ulong seed = 7, int classes = 4, int width = 6)
    {
        var rng = new Rng(seed);
        NumClasses = classes;
        _segments = new Linear[3];
        _heads = new Linear[3];
        for (int k = 0; k < 3; k++)
        {
            _segments[k] = RegisterModule($"seg{k}", new Linear(k == 0 ? 16 : width, width, rng));
            _heads[k] = RegisterModule($"head{k}", new Linear(width, classes, rng));
        }
    }

    /// <summary>(exit, batch size) of every segment run, in order.</summary>
    public List<(int Exit, int Batch)> Calls { get; } = [];

    public override IReadOnlyList<ExitInfo> Exits => _exits;

    public override int NumClasses { get; }

    public override int[] InputShape => [1, 4, 4];

    protected override ExitState StartCore(Tensor input) => new CarryState(input.Reshape(input.Shape[0], 16), null);

    protected override Tensor RunToExitCore(ExitState state, int k)
    {
        var s = (CarryState)state;
        Calls.Add((k, s.BatchSize));
        s.Features = _segments[k].Forward(s.Features).Tanh();
        var logits = _heads[k].Forward(s.Features).Mul(2.0);
        if (s.Previous is not null)
        {
            logits = logits.Add(s.Previous.Mul(0.5));
        }

        s.Previous = logits;
        return logits;
    }

    private sealed class CarryState(Tensor features, Tensor? previous) : ExitState
    {
        public Tensor Features { get; set; } = features;

        public Tensor? Previous { get; set; } = previous;

        public override int BatchSize => Features.Shape[0];

        protected override ExitState KeepRows(int[] rows) =>
            new CarryState(SelectRows(Features, rows), Previous is null ? null : SelectRows(Previous, rows));

        protected override ExitState ConcatRows(IReadOnlyList<ExitState> states) =>
            new CarryState(CatRows<CarryState>(states, s => s.Features)!, CatRows<CarryState>(states, s => s.Previous));
    }
}
