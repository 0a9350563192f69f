using Offramp.Engine;

namespace Offramp.Inference;

/// <summary>
/// The per-sample bookkeeping of a real (staged) run over one batch: every exit's logits of every sample, in an
/// (E, N, K) buffer indexed by the sample's position in the input batch, so a policy sees a sample's whole history
/// (<see cref="SampleOutputs"/>) however the batch was compacted.
/// </summary>
internal sealed class ExitRecorder
{
    private readonly float[] _outputs;
    private readonly int _n;
    private readonly int _classes;

    public ExitRecorder(int exits, int samples, int classes)
    {
        _outputs = new float[checked(exits * samples * classes)];
        _n = samples;
        _classes = classes;
        Exit = new int[samples];
        Prediction = new int[samples];
        Confidence = new double[samples];
    }

    /// <summary>Per sample, the exit it answered at.</summary>
    public int[] Exit { get; }

    /// <summary>Per sample, the argmax of the answering exit's logits.</summary>
    public int[] Prediction { get; }

    /// <summary>Per sample, the answering exit's max-softmax probability.</summary>
    public double[] Confidence { get; }

    /// <summary>Copies exit <paramref name="k"/>'s logits (rows = <paramref name="rows"/>, original positions).</summary>
    /// <exception cref="ArgumentException">The logits are not (rows, K).</exception>
    public void Store(int k, Tensor logits, int[] rows)
    {
        if (logits.Rank != 2 || logits.Shape[0] != rows.Length || logits.Shape[1] != _classes)
        {
            throw new ArgumentException(
                $"exit {k} gave logits {Shape.Format(logits.Shape)}; expected ({rows.Length}, {_classes})");
        }

        var src = logits.Span;
        for (int r = 0; r < rows.Length; r++)
        {
            src.Slice(r * _classes, _classes).CopyTo(_outputs.AsSpan(((k * _n) + rows[r]) * _classes, _classes));
        }
    }

    /// <summary>What a policy sees for sample <paramref name="i"/> after exit <paramref name="k"/>.</summary>
    public SampleOutputs View(int i, int k) => new(_outputs, i * _classes, _n * _classes, k + 1, _classes, false);

    /// <summary>Sample <paramref name="i"/> answers at exit <paramref name="k"/>.</summary>
    public void Answer(int i, int k)
    {
        var y = _outputs.AsSpan(((k * _n) + i) * _classes, _classes);
        Exit[i] = k;
        Prediction[i] = ExitConfidence.ArgMax(y);
        Confidence[i] = ExitConfidence.MaxSoftmax(y, false);
    }
}
