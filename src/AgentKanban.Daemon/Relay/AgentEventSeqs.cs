using System.Globalization;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Relay;

/// <summary>
/// The highest relay seq reserved per server session, kept in the daemon store (<c>meta</c>), so a resumed or
/// restarted session numbers its events above everything it may already have sent: the server ignores a seq it
/// has seen, so reusing one would silently lose events.
/// </summary>
internal sealed class AgentEventSeqs(MetaStore meta)
{
    private const string Prefix = "agent_event_seq:";

    public async Task<long> ReservedAsync(string serverSessionId, CancellationToken cancellationToken)
    {
        var value = await meta.GetAsync(Prefix + serverSessionId, cancellationToken);
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var reserved) ? reserved : 0;
    }

    public Task ReserveAsync(string serverSessionId, long upTo, CancellationToken cancellationToken) =>
        meta.SetAsync(Prefix + serverSessionId, upTo.ToString(CultureInfo.InvariantCulture), cancellationToken);
}
