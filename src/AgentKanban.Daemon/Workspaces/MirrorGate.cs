namespace AgentKanban.Daemon.Workspaces;

/// <summary>Per-mirror lock plus the bookkeeping that lets waiters share one fetch instead of queueing their own.</summary>
internal sealed class MirrorGate
{
    public SemaphoreSlim Semaphore { get; } = new(1, 1);

    /// <summary>Number of fetches ever started (read without the lock, written under it).</summary>
    public long FetchesStarted;

    /// <summary>The sequence number of the last fetch that succeeded (under the lock).</summary>
    public long LastGoodFetch;

    /// <summary>The default branch found by the last good fetch.</summary>
    public string? DefaultBranchRef;
}
