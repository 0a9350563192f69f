using Offramp.Models;

namespace Offramp.Inference;

/// <summary>The outcome of an <see cref="AnytimeRunner"/> over a data set: how often the deadline was met, where
/// the answers came from, and their accuracy.</summary>
public sealed class AnytimeRun
{
    private readonly int[] _histogram;

    internal AnytimeRun(TimeSpan deadline, IReadOnlyList<ExitInfo> exits, IReadOnlyList<AnytimeAnswer> answers, int[]? labels)
    {
        Deadline = deadline;
        ExitNames = [.. exits.Select(e => e.Name)];
        Answers = answers;
        Labels = labels;
        _histogram = new int[exits.Count];
        int met = 0, right = 0;
        double macs = 0;
        for (int i = 0; i < answers.Count; i++)
        {
            _histogram[answers[i].Exit]++;
            met += answers[i].DeadlineMet ? 1 : 0;
            right += labels is not null && labels[i] == answers[i].Prediction ? 1 : 0;
            macs += answers[i].MacsSpent;
        }

        int n = answers.Count;
        DeadlineMetRate = n == 0 ? double.NaN : (double)met / n;
        Accuracy = labels is null || n == 0 ? double.NaN : (double)right / n;
        AverageMacsSpent = n == 0 ? double.NaN : macs / n;
    }

    /// <summary>The deadline per input.</summary>
    public TimeSpan Deadline { get; }

    /// <summary>The exits' names.</summary>
    public IReadOnlyList<string> ExitNames { get; }

    /// <summary>Per input, its answer (input order).</summary>
    public IReadOnlyList<AnytimeAnswer> Answers { get; }

    /// <summary>Labels, or null when unlabelled.</summary>
    public IReadOnlyList<int>? Labels { get; }

    /// <summary>Share of inputs answered by the deadline (at least the first exit finished in time).</summary>
    public double DeadlineMetRate { get; }

    /// <summary>Answers per exit (misses count at exit 0, where their late answer came from).</summary>
    public IReadOnlyList<int> Histogram => _histogram;

    /// <summary>Accuracy of the answers (misses included); NaN when unlabelled.</summary>
    public double Accuracy { get; }

    /// <summary>Average MACs spent per input, late exits included.</summary>
    public double AverageMacsSpent { get; }

    /// <summary>E.g. <c>deadline 2 ms: met 98.0 %, acc 0.9, exits [10, 20, 70]</c>.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"deadline {Deadline.TotalMilliseconds:G4} ms: met {100 * DeadlineMetRate:F1} %, acc {Accuracy:F4}, exits [{string.Join(", ", _histogram)}]");
}
