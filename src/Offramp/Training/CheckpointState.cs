namespace Offramp.Training;

/// <summary>The <c>state.json</c> of a checkpoint: where training stands and how to check the other files.</summary>
public sealed record CheckpointState
{
    /// <summary>The format tag this version writes and reads.</summary>
    public const string CurrentFormat = "offramp-checkpoint/1";

    /// <summary>Format tag (<see cref="CurrentFormat"/>).</summary>
    public required string Format { get; init; }

    /// <summary>Epoch in progress, from 0 (equals the epoch count when training is finished).</summary>
    public required int Epoch { get; init; }

    /// <summary>Batches of <see cref="Epoch"/> already trained.</summary>
    public required int BatchInEpoch { get; init; }

    /// <summary>Optimizer steps done since the start of the run.</summary>
    public required long GlobalStep { get; init; }

    /// <summary>Batches per epoch when the checkpoint was written (the data must give the same on resume).</summary>
    public required int BatchesPerEpoch { get; init; }

    /// <summary>Size and SHA-256 of every other file of the checkpoint, by file name.</summary>
    public required Dictionary<string, FileDigest> Files { get; init; }

    /// <summary>State words (<c>Rng.GetState</c>) of every random generator the model uses, by module name.</summary>
    public required Dictionary<string, ulong[]> Rng { get; init; }

    /// <summary>Training statistics of the epoch in progress (so a resumed epoch logs the same numbers).</summary>
    public required EpochAccumulators Accumulators { get; init; }

    /// <summary>The run's effective config.</summary>
    public required TrainConfig Config { get; init; }
}

/// <summary>Length and content hash of a file.</summary>
/// <param name="Bytes">File length.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content.</param>
public sealed record FileDigest(long Bytes, string Sha256);

/// <summary>Running sums of one epoch's training statistics.</summary>
public sealed record EpochAccumulators
{
    /// <summary>Samples seen.</summary>
    public long Samples { get; set; }

    /// <summary>Σ batch size × batch total loss.</summary>
    public double LossSum { get; set; }

    /// <summary>Σ batch size × batch task loss, per exit.</summary>
    public double[] ExitLossSum { get; set; } = [];

    /// <summary>Σ batch size × batch distillation term, per exit.</summary>
    public double[] ExitDistillSum { get; set; } = [];

    /// <summary>Correct predictions, per exit.</summary>
    public long[] ExitCorrect { get; set; } = [];

    /// <summary>Learning rate of the last step.</summary>
    public double LastLr { get; set; }

    /// <summary>A deep copy.</summary>
    public EpochAccumulators Copy() => this with
    {
        ExitLossSum = (double[])ExitLossSum.Clone(),
        ExitDistillSum = (double[])ExitDistillSum.Clone(),
        ExitCorrect = (long[])ExitCorrect.Clone(),
    };
}
