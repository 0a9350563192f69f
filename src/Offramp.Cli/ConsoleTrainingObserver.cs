using System.Globalization;
using Offramp.Training;

namespace Offramp.Cli;

/// <summary>Renders training progress with <see cref="ConsoleProgress"/>: a bar with loss, per-exit accuracy and
/// images/s on a terminal, plain lines when the output is redirected; one summary line per epoch.</summary>
internal sealed class ConsoleTrainingObserver(TextWriter output, IReadOnlyList<string> exitNames) : ITrainingObserver
{
    private ConsoleProgress? _bar;

    public void OnEpochStart(int epoch, int epochs, int startBatch, int batchesPerEpoch)
    {
        if (startBatch > 0)
        {
            output.WriteLine($"resuming epoch {epoch + 1} at batch {startBatch + 1} of {batchesPerEpoch}");
        }

        _bar = new ConsoleProgress($"epoch {epoch + 1}/{epochs}", batchesPerEpoch, Console.IsOutputRedirected ? output : null);
    }

    public void OnStep(StepReport r)
    {
        var acc = string.Join("/", r.ExitAccuracy.Select(a => (100 * a).ToString("F1", CultureInfo.InvariantCulture)));
        _bar?.Report(r.Batch, string.Create(CultureInfo.InvariantCulture,
            $"loss {r.Loss:F4} acc% {acc} lr {r.Lr:G3} {r.ImagesPerSecond:F0} img/s"));
    }

    public void OnEvaluate(string split) => _bar?.Finish();

    public void OnEpochEnd(EpochLogEntry e)
    {
        _bar?.Finish();
        var line = string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}: train loss {e.TrainLoss:F4}");
        if (e.Heldout is { } h)
        {
            line += " | held-out acc% " + Accuracies(h);
        }

        if (e.Test is { } t)
        {
            line += " | test acc% " + Accuracies(t);
        }

        output.WriteLine(line + string.Create(CultureInfo.InvariantCulture, $" | {e.Seconds:F1} s, {e.ImagesPerSec:F0} img/s"));
    }

    internal string Accuracies(EvalReport r) =>
        string.Join(" ", exitNames.Select(n => string.Create(CultureInfo.InvariantCulture, $"{n} {100 * r.ExitAcc[n]:F2}")));
}
