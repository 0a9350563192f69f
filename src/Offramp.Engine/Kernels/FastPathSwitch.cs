namespace Offramp.Engine.Kernels;

/// <summary>
/// An async-local switch that turns one fast path off for the current async flow, so tests and benchmarks can run
/// the general path beside it (<see cref="AttentionAvx512.Disable"/>, <see cref="BatchNormSimd.Disable"/>,
/// <see cref="Conv.ForceIm2Col"/>). Read it on the caller's thread: the worker pool's threads do not see the flow.
/// </summary>
internal sealed class FastPathSwitch
{
    private readonly AsyncLocal<bool> _off = new();

    /// <summary>Whether the fast path is turned off in this async flow.</summary>
    public bool Off => _off.Value;

    /// <summary>Turns the fast path off until the returned scope is disposed.</summary>
    public Scope TurnOff()
    {
        bool previous = _off.Value;
        _off.Value = true;
        return new Scope(this, previous);
    }

    /// <summary>Restores the previous setting.</summary>
    public readonly struct Scope(FastPathSwitch owner, bool previous) : IDisposable
    {
        public void Dispose() => owner._off.Value = previous;
    }
}
