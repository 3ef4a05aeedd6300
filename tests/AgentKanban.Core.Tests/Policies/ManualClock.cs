namespace AgentKanban.Core.Tests.Policies;

/// <summary>A wall clock a test can set anywhere, backwards included (FakeTimeProvider refuses to go back).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Set(DateTimeOffset now) => _now = now;

    public void Advance(TimeSpan by) => _now += by;
}
