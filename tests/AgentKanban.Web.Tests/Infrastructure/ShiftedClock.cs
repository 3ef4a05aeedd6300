namespace AgentKanban.Web.Tests.Infrastructure;

/// <summary>
/// The system clock, moved forward on demand: timers keep real time (the browser's stream keep-alives, the server's
/// jobs), while "now" can jump ahead, e.g. to age the event log past its retention.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
