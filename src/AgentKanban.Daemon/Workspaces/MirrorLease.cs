namespace AgentKanban.Daemon.Workspaces;

/// <summary>Exclusive use of one mirror; dispose to let the next preparation of the same repository in.</summary>
public sealed class MirrorLease : IDisposable
{
    private SemaphoreSlim? _gate;

    internal MirrorLease(Mirror mirror, SemaphoreSlim gate)
    {
        Mirror = mirror;
        _gate = gate;
    }

    public Mirror Mirror { get; }

    public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Release();
}
