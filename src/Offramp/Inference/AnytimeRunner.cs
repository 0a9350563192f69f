using Offramp.Engine;
using Offramp.Models;

namespace Offramp.Inference;

/// <summary>
/// Anytime prediction under a wall-clock deadline (MSDNet's anytime setting made real): each input runs alone
/// (batch 1), exit after exit; when the deadline has passed, the latest exit that finished in time answers.
/// </summary>
/// <remarks>
/// <para>After each exit the runner reads the clock. An exit that finished by the deadline becomes the answer; the
/// first exit that finishes after it stops the run (a segment cannot be interrupted midway, so one late segment is
/// the price of not knowing its time in advance). With an optional <see cref="IExitPolicy"/> an input also stops at
/// the first exit the policy accepts, as in a dynamic run.</para>
/// <para>When even the first exit finishes late, the answer is still the first exit's, flagged
/// <see cref="AnytimeAnswer.DeadlineMet"/> = false: a late answer is more useful than none, and the flag lets the
/// caller drop it. Reports count it as a miss.</para>
/// <para>The clock is injectable (<see cref="IClock"/>) so tests decide deadlines with a fake clock, never with
/// thread timing. The model runs in evaluation mode without gradients.</para>
/// </remarks>
public sealed class AnytimeRunner
{
    private readonly MultiExitModel _model;
    private readonly IClock _clock;
    private readonly IExitPolicy? _policy;

    /// <summary>Creates the runner.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="deadline">Wall-clock time allowed per input (&gt; 0).</param>
    /// <param name="clock">The clock; null for <see cref="StopwatchClock"/>.</param>
    /// <param name="policy">Optional early-exit policy; null runs until the deadline or the last exit.</param>
    /// <exception cref="ArgumentOutOfRangeException">The deadline is not positive.</exception>
    public AnytimeRunner(MultiExitModel model, TimeSpan deadline, IClock? clock = null, IExitPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (deadline <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(deadline), deadline, "the deadline must be positive");
        }

        if (policy is ThresholdPolicy tp && tp.Thresholds.Count != model.Exits.Count)
        {
            throw new ArgumentException($"{tp.Name}: {tp.Thresholds.Count} thresholds for a model with {model.Exits.Count} exits", nameof(policy));
        }

        _model = model;
        Deadline = deadline;
        _clock = clock ?? StopwatchClock.Instance;
        _policy = policy;
    }

    /// <summary>The deadline per input.</summary>
    public TimeSpan Deadline { get; }

    /// <summary>Answers one input of shape (1, C, H, W).</summary>
    /// <exception cref="ArgumentException">The input is not one sample of the model's shape.</exception>
    public AnytimeAnswer Predict(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Rank == 0 || image.Shape[0] != 1)
        {
            throw new ArgumentException($"AnytimeRunner answers one input at a time, got {Shape.Format(image.Shape)}", nameof(image));
        }

        bool wasTraining = _model.Training;
        _model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            using var frozen = FrozenWeights.Freeze();
            using var step = TensorMemory.Step();
            return PredictCore(image);
        }
        finally
        {
            _model.Train(wasTraining);
        }
    }

    /// <summary>Runs every exit on <paramref name="image"/> once, untimed (JIT tiering and buffer pools warm up), so
    /// the first timed input does not pay for them.</summary>
    /// <exception cref="ArgumentException">The input's shape does not fit the model.</exception>
    public void WarmUp(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        bool wasTraining = _model.Training;
        _model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            using var frozen = FrozenWeights.Freeze();
            using var step = TensorMemory.Step();
            var state = _model.Start(image);
            for (int k = 0; k < _model.Exits.Count; k++)
            {
                _model.RunToExit(state, k);
            }
        }
        finally
        {
            _model.Train(wasTraining);
        }
    }

    /// <summary>Answers every row of every batch, one at a time, in input order.</summary>
    /// <exception cref="ArgumentException">A batch has the wrong shape or labels that do not match it.</exception>
    public AnytimeRun Run(IEnumerable<(Tensor Images, int[]? Labels)> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var answers = new List<AnytimeAnswer>();
        var labels = new List<int>();
        bool labelled = true;
        foreach (var (images, batchLabels) in batches)
        {
            int n = images.Rank > 0 ? images.Shape[0] : 0;
            if (batchLabels is not null && batchLabels.Length != n)
            {
                throw new ArgumentException($"{batchLabels.Length} labels for input {Shape.Format(images.Shape)}", nameof(batches));
            }

            for (int i = 0; i < n; i++)
            {
                answers.Add(Predict(images.IndexSelect(0, [i])));
            }

            if (batchLabels is null)
            {
                labelled = false;
            }
            else
            {
                labels.AddRange(batchLabels);
            }
        }

        return new AnytimeRun(Deadline, _model.Exits, answers, labelled ? [.. labels] : null);
    }

    private AnytimeAnswer PredictCore(Tensor image)
    {
        int e = _model.Exits.Count;
        var rec = new ExitRecorder(e, 1, _model.NumClasses);
        var t0 = _clock.Now;
        var state = _model.Start(image);
        int answer = -1, run = 0;
        bool met = false;
        TimeSpan at = TimeSpan.Zero;
        for (int k = 0; k < e; k++)
        {
            rec.Store(k, _model.RunToExit(state, k), [0]);
            var t = _clock.Now - t0;
            run = k + 1;
            if (t > Deadline)
            {
                if (answer < 0)
                {
                    answer = k;
                    at = t;
                }

                break;
            }

            answer = k;
            met = true;
            at = t;
            if (k < e - 1 && _policy is not null && _policy.ShouldExit(rec.View(0, k)))
            {
                break;
            }
        }

        rec.Answer(0, answer);
        return new AnytimeAnswer(answer, rec.Prediction[0], rec.Confidence[0], met, at, run, _model.Exits[run - 1].Macs);
    }
}

/// <summary>One input's anytime answer.</summary>
/// <param name="Exit">The answering exit (0-based): the latest that finished by the deadline (or exit 0 when none did).</param>
/// <param name="Prediction">The predicted class.</param>
/// <param name="Confidence">The answering exit's max-softmax probability.</param>
/// <param name="DeadlineMet">False when even the first exit finished after the deadline.</param>
/// <param name="Elapsed">When the answering exit finished, from the start of the input.</param>
/// <param name="ExitsRun">Exits computed (one more than the answer when a late exit stopped the run).</param>
/// <param name="MacsSpent">MACs actually spent: C_k of the last exit computed.</param>
public sealed record AnytimeAnswer(int Exit, int Prediction, double Confidence, bool DeadlineMet, TimeSpan Elapsed, int ExitsRun, long MacsSpent);
