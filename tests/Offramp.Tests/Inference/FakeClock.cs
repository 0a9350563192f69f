using Offramp.Inference;

namespace Offramp.Tests.Inference;

/// <summary>A clock that advances by <see cref="Step"/> at every reading (the first reading is 0).</summary>
internal sealed class FakeClock(TimeSpan step) : IClock
{
    private TimeSpan _now;

    public TimeSpan Step { get; } = step;

    public int Reads { get; private set; }

    public TimeSpan Now
    {
        get
        {
            var t = _now;
            _now += Step;
            Reads++;
            return t;
        }
    }
}
