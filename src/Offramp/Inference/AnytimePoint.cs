namespace Offramp.Inference;

/// <summary>One point of the anytime curve: every sample answers at exit <paramref name="Exit"/>.</summary>
/// <param name="Exit">The exit, 0-based.</param>
/// <param name="Name">The exit's name.</param>
/// <param name="Cost">C_k, its cumulative cost per sample.</param>
/// <param name="Accuracy">The exit's accuracy on all samples (NaN when unlabelled).</param>
public sealed record AnytimePoint(int Exit, string Name, double Cost, double Accuracy);
