using System.Collections.Concurrent;

namespace AgentKanban.Server.Leases;

/// <summary>
/// When each machine's latest heartbeat ARRIVED at this server instance, recorded before the database is touched. A
/// heartbeat that arrived counts as a renewal even when the database could not record it (slow, locked or down): the
/// machine is alive, and the sweeper must not take its leases back because the server failed to write that down.
/// In memory and per instance: other instances rely on the database and on their own grace.
/// </summary>
public sealed class HeartbeatArrivals
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _latest = new(StringComparer.Ordinal);

    public void Record(string machineId, DateTimeOffset at) =>
        _latest.AddOrUpdate(machineId, at, (_, previous) => previous > at ? previous : at);

    /// <summary>The latest arrival of <paramref name="machineId"/>'s heartbeat at this instance, if any.</summary>
    public DateTimeOffset? Latest(string machineId) => _latest.TryGetValue(machineId, out var at) ? at : null;
}
