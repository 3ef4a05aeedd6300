namespace AgentKanban.Daemon.Relay;

/// <summary>Tuning of the live agent-event relay (daemon → server); the defaults suit a person watching the board.</summary>
public sealed record AgentEventRelayOptions
{
    /// <summary>Relay a running agent's events at all.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Events held in memory per running session; when full the oldest are dropped (and counted).</summary>
    public int BufferCapacity { get; init; } = 2000;

    /// <summary>How long a batch collects events after the first one arrives.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>Most events per batch (the server takes up to 500).</summary>
    public int MaxBatchEvents { get; init; } = 100;

    /// <summary>Rough byte budget of one batch, well under the server's 1 MiB body limit.</summary>
    public int MaxBatchBytes { get; init; } = 256 * 1024;

    /// <summary>First wait after a failed send; doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>When a run ends, how long the relay may take to deliver what it still holds.</summary>
    public TimeSpan FinalFlushTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Seq numbers reserved in the store per write. A restarted daemon continues above the reservation, so a
    /// resumed session's numbering keeps increasing (with a gap) at the cost of one store write per block.
    /// </summary>
    public int SeqReservationBlock { get; init; } = 1000;
}
