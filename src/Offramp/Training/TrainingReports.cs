namespace Offramp.Training;

/// <summary>Progress after one optimizer step (for progress bars).</summary>
/// <param name="Epoch">Epoch in progress, from 0.</param>
/// <param name="Epochs">Epochs of the run.</param>
/// <param name="Batch">Batches of this epoch done (1 after the first).</param>
/// <param name="BatchesPerEpoch">Batches per epoch.</param>
/// <param name="GlobalStep">Optimizer steps done since the start of the run.</param>
/// <param name="Lr">Learning rate used by this step.</param>
/// <param name="Loss">Mean total loss over the epoch so far.</param>
/// <param name="ExitAccuracy">Per-exit training accuracy over the epoch so far, in [0, 1].</param>
/// <param name="ImagesPerSecond">Training throughput over the epoch so far (since resume, when resumed).</param>
public sealed record StepReport(int Epoch, int Epochs, int Batch, int BatchesPerEpoch, long GlobalStep, double Lr, double Loss,
    IReadOnlyList<double> ExitAccuracy, double ImagesPerSecond);

/// <summary>Per-exit results of evaluating a model on one split.</summary>
public sealed record EvalReport
{
    /// <summary>Samples evaluated.</summary>
    public int Samples { get; set; }

    /// <summary>Top-1 accuracy of each exit, by exit name, in [0, 1].</summary>
    public Dictionary<string, double> ExitAcc { get; set; } = [];

    /// <summary>Mean cross-entropy of each exit, by exit name (no label smoothing).</summary>
    public Dictionary<string, double> ExitLoss { get; set; } = [];
}

/// <summary>One line of <c>log.jsonl</c>: a finished epoch.</summary>
public sealed record EpochLogEntry
{
    /// <summary>Epochs completed (1 for the first).</summary>
    public int Epoch { get; set; }

    /// <summary>Optimizer steps done since the start of the run.</summary>
    public long GlobalStep { get; set; }

    /// <summary>Learning rate of the epoch's last step.</summary>
    public double Lr { get; set; }

    /// <summary>Mean total training loss over the epoch.</summary>
    public double TrainLoss { get; set; }

    /// <summary>Mean task loss (CE) of each exit over the epoch.</summary>
    public Dictionary<string, double> TrainExitLoss { get; set; } = [];

    /// <summary>Mean distillation term of each early exit (empty when distillation is off).</summary>
    public Dictionary<string, double> TrainExitDistill { get; set; } = [];

    /// <summary>Training accuracy of each exit over the epoch (against the unmixed labels).</summary>
    public Dictionary<string, double> TrainExitAcc { get; set; } = [];

    /// <summary>Which weights were evaluated: <c>model</c> or <c>ema</c>.</summary>
    public string EvalWeights { get; set; } = "model";

    /// <summary>Results on the held-out split, or null without one.</summary>
    public EvalReport? Heldout { get; set; }

    /// <summary>Results on the test set, or null without one.</summary>
    public EvalReport? Test { get; set; }

    /// <summary>Wall-clock seconds of the epoch (training and evaluation; since resume, when resumed mid-epoch).</summary>
    public double Seconds { get; set; }

    /// <summary>Training images per second.</summary>
    public double ImagesPerSec { get; set; }
}

/// <summary>Receives training progress; every method has an empty default.</summary>
public interface ITrainingObserver
{
    /// <summary>An epoch starts (or resumes at <paramref name="startBatch"/>).</summary>
    void OnEpochStart(int epoch, int epochs, int startBatch, int batchesPerEpoch)
    {
    }

    /// <summary>An optimizer step finished.</summary>
    void OnStep(StepReport report)
    {
    }

    /// <summary>Evaluation of a split starts (<c>heldout</c> or <c>test</c>).</summary>
    void OnEvaluate(string split)
    {
    }

    /// <summary>An epoch finished and was logged.</summary>
    void OnEpochEnd(EpochLogEntry entry)
    {
    }

    /// <summary>A checkpoint was written completely.</summary>
    void OnCheckpoint(string directory)
    {
    }
}

/// <summary>What <c>offramp eval</c> writes with <c>--json</c>.</summary>
public sealed record EvalSummary
{
    /// <summary>The run directory.</summary>
    public string Run { get; set; } = "";

    /// <summary>The weights file evaluated.</summary>
    public string Weights { get; set; } = "";

    /// <summary>Exit names in order, with their cumulative MACs per sample.</summary>
    public Dictionary<string, long> ExitMacs { get; set; } = [];

    /// <summary>Results on the held-out split, or null.</summary>
    public EvalReport? Heldout { get; set; }

    /// <summary>Results on the test set, or null.</summary>
    public EvalReport? Test { get; set; }
}
