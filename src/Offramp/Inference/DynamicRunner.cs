using Offramp.Engine;
using Offramp.Models;

namespace Offramp.Inference;

/// <summary>
/// Real early exit: runs a multi-exit model segment by segment and, after each exit, lets the samples the policy
/// releases leave the batch (<see cref="ExitState.Keep"/>), so the rest continues smaller and the saved compute
/// becomes saved time. Reports per-sample exits, predictions, confidences and counted MACs, and the measured wall
/// time next to the full model's on the same batches.
/// </summary>
/// <remarks>
/// <para>Works with any <see cref="MultiExitModel"/>: it only calls <see cref="MultiExitModel.Start"/>,
/// <see cref="MultiExitModel.RunToExit"/> and <see cref="ExitState.Keep"/>, whatever the state carries.</para>
/// <para>The model runs in evaluation mode without gradients (the mode it had is restored), with its convolution
/// and Linear weights packed once for the whole run (<see cref="FrozenWeights"/>: do not change the weights from another thread
/// while a run is going on); each batch runs in its own <see cref="TensorMemory.Step"/> scope, so do not call the runner
/// inside one.</para>
/// <para>The last exit always answers. A sample's MACs are C_k of the exit it answered at (<see cref="ExitInfo.Macs"/>),
/// which counts its share of every segment it went through.</para>
/// </remarks>
public sealed class DynamicRunner
{
    private readonly MultiExitModel _model;
    private readonly IExitPolicy _policy;

    /// <summary>Creates the runner.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="policy">Decides per sample and exit (the last exit always answers).</param>
    public DynamicRunner(MultiExitModel model, IExitPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(policy);
        _model = model;
        _policy = policy;
    }

    /// <summary>The model.</summary>
    public MultiExitModel Model => _model;

    /// <summary>The policy.</summary>
    public IExitPolicy Policy => _policy;

    /// <summary>Runs every batch dynamically (and, with <see cref="DynamicRunOptions.MeasureFullModel"/>, fully) and
    /// gathers the per-sample results in input order.</summary>
    /// <param name="batches">(N, C, H, W) inputs with their labels (null labels for unlabelled data).</param>
    /// <param name="options">Timing options; null for the defaults.</param>
    /// <exception cref="ArgumentException">No batch, a batch of the wrong shape, labels that do not match their
    /// batch, or a <see cref="ThresholdPolicy"/> with not one threshold per exit.</exception>
    public DynamicRun Run(IEnumerable<(Tensor Images, int[]? Labels)> batches, DynamicRunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        options ??= new DynamicRunOptions();
        options.Validate();
        CheckPolicy();
        var clock = options.Clock ?? StopwatchClock.Instance;
        if (options.PoolAcrossBatches)
        {
            return RunPooled(batches, options, clock);
        }

        var exit = new List<int>();
        var prediction = new List<int>();
        var confidence = new List<double>();
        var labels = new List<int>();
        bool labelled = true;
        double dynamicSeconds = 0, fullSeconds = 0;
        int maxBatch = 0;
        int batchCount = InEval(() =>
        {
            int count = 0;
            foreach (var (images, batchLabels) in batches)
            {
                int n = CheckBatch(count, images, batchLabels);
                if (count == 0)
                {
                    WarmUp(options, () => RunOnce(images), () => RunFull(images));
                }

                var (answers, dyn, full) = Timed(options, clock, () => RunOnce(images), () => RunFull(images));
                dynamicSeconds += dyn;
                fullSeconds += full;
                exit.AddRange(answers.Exit);
                prediction.AddRange(answers.Prediction);
                confidence.AddRange(answers.Confidence);
                if (batchLabels is null)
                {
                    labelled = false;
                }
                else
                {
                    labels.AddRange(batchLabels);
                }

                count++;
                maxBatch = Math.Max(maxBatch, n);
            }

            return count;
        });

        if (batchCount == 0)
        {
            throw new ArgumentException("DynamicRunner.Run: no batches", nameof(batches));
        }

        return new DynamicRun(
            _policy.ToString() ?? _policy.Name, _model.Exits, [.. exit], [.. prediction], [.. confidence],
            labelled ? [.. labels] : null, dynamicSeconds, options.MeasureFullModel ? fullSeconds : double.NaN,
            batchCount, maxBatch, Parallelism.Threads);
    }

    // PoolAcrossBatches: the whole input as one timed run (median of the repeats), the full model over the same
    // batches likewise.
    private DynamicRun RunPooled(IEnumerable<(Tensor Images, int[]? Labels)> batches, DynamicRunOptions options, IClock clock)
    {
        var list = batches.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("DynamicRunner.Run: no batches", nameof(batches));
        }

        var labels = new List<int>();
        bool labelled = true;
        for (int b = 0; b < list.Count; b++)
        {
            var (images, batchLabels) = list[b];
            CheckBatch(b, images, batchLabels);
            labelled &= batchLabels is not null;
            labels.AddRange(batchLabels ?? []);
        }

        var inputs = list.Select(p => p.Images).ToList();
        var (answers, dyn, full) = InEval(() =>
        {
            WarmUp(options, () => RunPooledOnce(inputs), () => inputs.ForEach(RunFull));
            return Timed(options, clock, () => RunPooledOnce(inputs), () => inputs.ForEach(RunFull));
        });
        return new DynamicRun(
            _policy.ToString() ?? _policy.Name, _model.Exits, answers.Exit, answers.Prediction, answers.Confidence,
            labelled ? [.. labels] : null, dyn, options.MeasureFullModel ? full : double.NaN,
            list.Count, inputs.Max(t => t.Rank > 0 ? t.Shape[0] : 0), Parallelism.Threads, pooled: true);
    }

    // Runs `body` with the model in evaluation mode and no gradients, then restores the mode it had.
    private T InEval<T>(Func<T> body)
    {
        bool wasTraining = _model.Training;
        _model.Eval();
        try
        {
            using var noGrad = Autograd.NoGrad();
            using var frozen = FrozenWeights.Freeze();
            return body();
        }
        finally
        {
            _model.Train(wasTraining);
        }
    }

    // The untimed warm-up runs: `dynamic`, then (MeasureFullModel) `full`, WarmupRuns times.
    private static void WarmUp(DynamicRunOptions options, Func<BatchAnswers> dynamic, Action full)
    {
        for (int w = 0; w < options.WarmupRuns; w++)
        {
            dynamic();
            if (options.MeasureFullModel)
            {
                full();
            }
        }
    }

    // The timed repeats: each runs `dynamic`, then (MeasureFullModel) `full`; the last run's answers and the median
    // times (0 for the full model when it is not measured).
    private static (BatchAnswers Answers, double Dynamic, double Full) Timed(DynamicRunOptions options, IClock clock,
        Func<BatchAnswers> dynamic, Action full)
    {
        var dyn = new double[options.Repeats];
        var fullTimes = new double[options.Repeats];
        BatchAnswers? answers = null;
        for (int r = 0; r < options.Repeats; r++)
        {
            var t0 = clock.Now;
            answers = dynamic();
            dyn[r] = (clock.Now - t0).TotalSeconds;
            if (options.MeasureFullModel)
            {
                t0 = clock.Now;
                full();
                fullTimes[r] = (clock.Now - t0).TotalSeconds;
            }
        }

        return (answers!, Median(dyn), Median(fullTimes));
    }

    // Every input batch through exit 0; the samples going on wait until a batch's worth is waiting at their next exit,
    // then run there together; at the end the rest runs exit by exit.
    private BatchAnswers RunPooledOnce(List<Tensor> inputs)
    {
        int e = _model.Exits.Count, total = inputs.Sum(t => t.Rank > 0 ? t.Shape[0] : 0);
        int batch = Math.Max(1, inputs[0].Rank > 0 ? inputs[0].Shape[0] : 1);
        var rec = new ExitRecorder(e, total, _model.NumClasses);
        var waiting = new List<(ExitState State, int[] Ids)>[e];
        var count = new int[e];
        for (int k = 0; k < e; k++)
        {
            waiting[k] = [];
        }

        void Advance(ExitState state, int[] ids, int k)
        {
            int[] rows = ExitStep(rec, state, ids, k);
            if (rows.Length > 0)
            {
                // The rows going on are copied into the run's arena; everything else this batch made is dropped
                // when its sub-step ends.
                ExitState kept;
                using (TensorMemory.Outer())
                {
                    kept = state.Keep(rows);
                }

                waiting[k + 1].Add((kept, [.. rows.Select(r => ids[r])]));
                count[k + 1] += rows.Length;
            }
        }

        // Runs the samples waiting at exit k in a sub-step of their own.
        void Flush(int k)
        {
            using var sub = TensorMemory.SubStep();
            var state = ExitState.Concat([.. waiting[k].Select(p => p.State)]);
            int[] ids = [.. waiting[k].SelectMany(p => p.Ids)];
            waiting[k].Clear();
            count[k] = 0;
            Advance(state, ids, k);
        }

        // One step scope for the whole input holds the waiting states until they run (no garbage for the collector;
        // memory grows with the samples that go on — meant for bounded inputs such as the report's). Each batch's
        // segment runs in its own sub-step, so its temporaries reuse the same cache-warm buffers.
        using var step = TensorMemory.Step();
        int offset = 0;
        foreach (var images in inputs)
        {
            using (TensorMemory.SubStep())
            {
                var state = _model.Start(images);
                int n = state.BatchSize;
                Advance(state, [.. Enumerable.Range(offset, n)], 0);
                offset += n;
            }

            for (int k = 1; k < e; k++)
            {
                if (count[k] >= batch)
                {
                    Flush(k);
                }
            }
        }

        for (int k = 1; k < e; k++)
        {
            if (count[k] > 0)
            {
                Flush(k);
            }
        }

        return new BatchAnswers(rec.Exit, rec.Prediction, rec.Confidence);
    }

    /// <summary>Runs one batch with early exit (no timing): per sample, the exit, prediction and confidence.</summary>
    /// <param name="images">(N, C, H, W).</param>
    /// <exception cref="ArgumentException">The input's shape does not fit the model, or a
    /// <see cref="ThresholdPolicy"/> has not one threshold per exit.</exception>
    public BatchAnswers RunBatch(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        CheckPolicy();
        return InEval(() => RunOnce(images));
    }

    private BatchAnswers RunOnce(Tensor images)
    {
        int e = _model.Exits.Count;
        using var step = TensorMemory.Step();
        var state = _model.Start(images);
        int n = state.BatchSize;
        var rec = new ExitRecorder(e, n, _model.NumClasses);
        int[] alive = [.. Enumerable.Range(0, n)];
        for (int k = 0; k < e && alive.Length > 0; k++)
        {
            int[] rows = ExitStep(rec, state, alive, k);
            if (rows.Length == 0)
            {
                break;
            }

            if (rows.Length < alive.Length)
            {
                state = state.Keep(rows);
                alive = [.. rows.Select(r => alive[r])];
            }
        }

        return new BatchAnswers(rec.Exit, rec.Prediction, rec.Confidence);
    }

    // Runs segment k on `state` (samples `ids` of the recorder), records the exit's logits, lets the policy answer
    // (the last exit answers everyone) and returns the rows of the state that go on.
    private int[] ExitStep(ExitRecorder rec, ExitState state, int[] ids, int k)
    {
        rec.Store(k, _model.RunToExit(state, k), ids);
        bool last = k == _model.Exits.Count - 1;
        var keep = new List<int>(ids.Length);
        for (int r = 0; r < ids.Length; r++)
        {
            if (last || _policy.ShouldExit(rec.View(ids[r], k)))
            {
                rec.Answer(ids[r], k);
            }
            else
            {
                keep.Add(r);
            }
        }

        return [.. keep];
    }

    private void RunFull(Tensor images)
    {
        using var step = TensorMemory.Step();
        var state = _model.Start(images);
        for (int k = 0; k < _model.Exits.Count; k++)
        {
            _model.RunToExit(state, k);
        }
    }

    // Batch b's size; throws when its images are missing or its labels do not match it.
    private static int CheckBatch(int b, Tensor images, int[]? labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        int n = images.Rank > 0 ? images.Shape[0] : 0;
        if (labels is not null && labels.Length != n)
        {
            throw new ArgumentException($"batch {b}: {labels.Length} labels for input {Shape.Format(images.Shape)}");
        }

        return n;
    }

    private void CheckPolicy()
    {
        if (_policy is ThresholdPolicy tp && tp.Thresholds.Count != _model.Exits.Count)
        {
            throw new ArgumentException($"{tp.Name}: {tp.Thresholds.Count} thresholds for a model with {_model.Exits.Count} exits");
        }
    }

    internal static double Median(double[] v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>One batch's answers from <see cref="DynamicRunner.RunBatch"/>, in input order.</summary>
/// <param name="Exit">Per sample, the exit (0-based) it answered at.</param>
/// <param name="Prediction">Per sample, the argmax of that exit's logits.</param>
/// <param name="Confidence">Per sample, that exit's max-softmax probability.</param>
public sealed record BatchAnswers(int[] Exit, int[] Prediction, double[] Confidence);
