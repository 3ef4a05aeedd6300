namespace AgentKanban.Server.Streams;

/// <summary>Tuning of the live event streams; the defaults are what the product promises.</summary>
public sealed class EventStreamOptions
{
    /// <summary>How often an idle or busy stream gets a <c>: keep-alive</c> comment.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the shared feed re-reads the event log even without a notification (a lost NOTIFY cannot stall a stream).</summary>
    public TimeSpan SafetyPollInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Rows read from the event log per query.</summary>
    public int ReadBatchSize { get; set; } = 500;

    /// <summary>How many recent events the shared feed keeps in memory for subscribers to fan out from.</summary>
    public int WindowCapacity { get; set; } = 8192;

    /// <summary>Longest wait between attempts to re-establish the PostgreSQL LISTEN connection.</summary>
    public TimeSpan ListenerMaxBackoff { get; set; } = TimeSpan.FromSeconds(30);
}
