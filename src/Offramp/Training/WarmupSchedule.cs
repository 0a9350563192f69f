using Offramp.Engine.Optim;

namespace Offramp.Training;

/// <summary>Linear warm-up from <c>startLr</c> to the base rate over <c>warmupSteps</c>, then <c>inner</c> (or the
/// constant base rate when null), evaluated at the same absolute step.</summary>
internal sealed class WarmupSchedule(long warmupSteps, double startLr, LrSchedule? inner) : LrSchedule
{
    public override double LrAt(double baseLr, long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < warmupSteps)
        {
            return startLr + (baseLr - startLr) * step / warmupSteps;
        }

        return inner?.LrAt(baseLr, step) ?? baseLr;
    }
}
