namespace AgentKanban.Server.Storage;

/// <summary>Used when no live-stream service is registered: committed events simply wait to be read.</summary>
internal sealed class NoopEventSignal : IEventSignal
{
    public static readonly NoopEventSignal Instance = new();

    public void Notify(long latestEventId)
    {
    }
}
