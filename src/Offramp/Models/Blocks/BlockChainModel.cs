using System.Globalization;
using Offramp.Engine;
using Offramp.Engine.Nn;
using Offramp.Models.Heads;

namespace Offramp.Models.Blocks;

/// <summary>
/// A multi-exit model over a backbone that is a stem, a chain of blocks and a final head (RegNetY, MobileNetV3):
/// early exits read the output of chosen blocks (<see cref="ModelOptions.ExitAfter"/>, indices over the block chain)
/// through exit heads (<see cref="ModelOptions.Head"/>, registered as <c>exits.0</c>, …); the last exit is the
/// backbone's own head on the last block. Costs (<see cref="ExitInfo.Macs"/>) are cumulative in staged order: stem,
/// blocks, and every head evaluated so far.
/// </summary>
public abstract class BlockChainModel : MultiExitModel
{
    private readonly int[] _inputShape;
    private ChainBlock[] _blocks = [];
    private int[] _segmentEnds = [];
    private ModuleList<ExitHead>? _heads;
    private ExitInfo[] _exits = [];

    /// <summary>Validates the common options (input shape (C, H, W), classes, width multiplier).</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names <paramref name="family"/>.</exception>
    private protected BlockChainModel(string family, ModelOptions options)
    {
        if (options.InputShape is not { Length: 3 } || options.InputShape.Any(d => d <= 0) || options.NumClasses <= 0
            || !(options.WidthMultiplier > 0))
        {
            throw new ArgumentException(
                $"{family}: invalid options: input shape ({string.Join(", ", options.InputShape ?? [])}), " +
                $"classes {options.NumClasses}, width multiplier {options.WidthMultiplier}");
        }

        Family = family;
        _inputShape = (int[])options.InputShape.Clone();
        NumClasses = options.NumClasses;
        HeadKind = (options.Head ?? "linear").ToLowerInvariant();
    }

    /// <summary>The family name used in messages.</summary>
    public string Family { get; }

    /// <summary>The exit head kind of the early exits ("linear" or "sdn").</summary>
    public string HeadKind { get; }

    /// <summary>Indices (over <see cref="Blocks"/>) of the blocks the early exits read, ascending.</summary>
    public int[] ExitAfter { get; private set; } = [];

    /// <summary>The block chain in execution order (the list <see cref="ExitAfter"/> indexes).</summary>
    public IReadOnlyList<ChainBlock> Blocks => _blocks;

    /// <summary>The early-exit heads, parallel to <see cref="ExitAfter"/>.</summary>
    public IReadOnlyList<ExitHead> Heads => (IReadOnlyList<ExitHead>?)_heads ?? [];

    /// <summary>MACs per sample of the stem.</summary>
    public long StemMacs { get; private set; }

    /// <summary>MACs per sample of the backbone's final head.</summary>
    public long FinalHeadMacs { get; private set; }

    /// <inheritdoc/>
    public override IReadOnlyList<ExitInfo> Exits => _exits;

    /// <inheritdoc/>
    public override int NumClasses { get; }

    /// <inheritdoc/>
    public override int[] InputShape => _inputShape;

    /// <summary>
    /// Whether the model uses its small-input stem: <see cref="ModelOptions.Extra"/> <c>stem</c> = "small" or
    /// "imagenet", or "auto" (default) = small when the input is under 64 pixels a side (as the ResNets).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown stem option.</exception>
    private protected static bool UseSmallStem(string family, ModelOptions options)
    {
        string stem = options.Extra.TryGetValue("stem", out var v) ? v.ToLowerInvariant() : "auto";
        return stem switch
        {
            "auto" => options.InputShape[1] < 64 || options.InputShape[2] < 64,
            "small" => true,
            "imagenet" => false,
            _ => throw new ArgumentException($"{family}: unknown stem '{v}' (auto, imagenet, small)"),
        };
    }

    /// <summary>
    /// Places the exits once the backbone is registered: heads after <see cref="ModelOptions.ExitAfter"/> (null =
    /// <paramref name="defaultExitAfter"/>), registered as <c>exits</c>, and the cumulative exit costs.
    /// </summary>
    /// <exception cref="ArgumentException">An exit index is out of range or repeated, or the head kind is
    /// unknown.</exception>
    private protected void PlaceExits(IReadOnlyList<ChainBlock> blocks, long stemMacs, long finalHeadMacs,
        string finalName, int[] defaultExitAfter, ModelOptions options, Rng rng)
    {
        _blocks = [.. blocks];
        StemMacs = stemMacs;
        FinalHeadMacs = finalHeadMacs;
        int n = _blocks.Length;
        var sorted = (options.ExitAfter ?? defaultExitAfter).Order().ToArray();
        for (int i = 0; i < sorted.Length; i++)
        {
            if (sorted[i] < 0 || sorted[i] >= n - 1 || (i > 0 && sorted[i] == sorted[i - 1]))
            {
                throw new ArgumentException(
                    $"{Family}: ExitAfter [{string.Join(", ", options.ExitAfter ?? [])}] must hold distinct block " +
                    $"indices in 0..{n - 2} ({n} blocks; block {n - 1} feeds the final exit '{finalName}')");
            }
        }

        ExitAfter = sorted;
        _heads = RegisterModule("exits", new ModuleList<ExitHead>());
        foreach (int b in ExitAfter)
        {
            var blk = _blocks[b];
            _heads.Add(ExitHead.Create(HeadKind, blk.C, blk.H, blk.W, NumClasses, rng));
        }

        _segmentEnds = [.. ExitAfter.Select(b => b + 1), n];
        _exits = new ExitInfo[_segmentEnds.Length];
        long macs = stemMacs;
        for (int k = 0; k < _exits.Length; k++)
        {
            for (int b = k == 0 ? 0 : _segmentEnds[k - 1]; b < _segmentEnds[k]; b++)
            {
                macs += _blocks[b].Macs;
            }

            bool early = k < _heads.Count;
            macs += early ? _heads[k].Macs : finalHeadMacs;
            _exits[k] = new ExitInfo(k, early ? _blocks[ExitAfter[k]].Name : finalName, macs);
        }
    }

    /// <summary>The backbone's stem on the input batch.</summary>
    protected abstract Tensor RunStem(Tensor input);

    /// <summary>The backbone's own head on the last block's output.</summary>
    protected abstract Tensor RunFinalHead(Tensor features);

    /// <inheritdoc/>
    protected override ExitState StartCore(Tensor input) => new TensorExitState(RunStem(input));

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The state is not a <see cref="TensorExitState"/>.</exception>
    protected override Tensor RunToExitCore(ExitState state, int k)
    {
        if (state is not TensorExitState ts)
        {
            throw new ArgumentException($"{Family}.RunToExit expects a TensorExitState, got {state.GetType().Name}");
        }

        var x = ts.Features;
        for (int b = k == 0 ? 0 : _segmentEnds[k - 1]; b < _segmentEnds[k]; b++)
        {
            x = _blocks[b].Module.Forward(x);
        }

        ts.Features = x;
        return k < _heads!.Count ? _heads[k].Forward(x) : RunFinalHead(x);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture,
            $"exits=[{string.Join(", ", _exits.Select(e => e.Name))}], head={HeadKind}");
}
