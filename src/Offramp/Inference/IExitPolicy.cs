namespace Offramp.Inference;

/// <summary>
/// Decides, per sample and exit, whether a multi-exit model answers now. Implement it for a custom rule; the
/// built-in ones are <see cref="MaxSoftmaxPolicy"/>, <see cref="EntropyPolicy"/> and <see cref="PatiencePolicy"/>.
/// </summary>
/// <remarks>
/// Runners never ask at the last exit: it always answers. A policy must be deterministic and must not keep state
/// between calls (one instance serves every sample, possibly from several threads).
/// </remarks>
public interface IExitPolicy
{
    /// <summary>A short name for files and reports (e.g. <c>max_softmax</c>).</summary>
    string Name { get; }

    /// <summary>True when the sample should answer at exit <see cref="SampleOutputs.Exit"/>.</summary>
    /// <param name="outputs">The sample's outputs of every exit so far.</param>
    bool ShouldExit(SampleOutputs outputs);
}
