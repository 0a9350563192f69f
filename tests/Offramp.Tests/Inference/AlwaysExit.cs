using Offramp.Inference;

namespace Offramp.Tests.Inference;

/// <summary>Exits at every exit it is asked about.</summary>
internal sealed class AlwaysExit : IExitPolicy
{
    public string Name => "always";

    public bool ShouldExit(SampleOutputs outputs) => true;
}
