namespace AgentKanban.Server.Hosting;

/// <summary>
/// The server's notion of "now", from the injected <see cref="TimeProvider"/>, truncated to milliseconds so a value
/// reads back identically from SQLite (Unix ms) and PostgreSQL (microseconds).
/// </summary>
public sealed class ServerClock(TimeProvider timeProvider)
{
    public TimeProvider TimeProvider { get; } = timeProvider;

    public DateTimeOffset Now()
    {
        var now = TimeProvider.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }
}
