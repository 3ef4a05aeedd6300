using AgentKanban.Client;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Relay;

/// <summary>Starts a <see cref="SessionEventRelay"/> for each agent run (none when relaying is switched off).</summary>
internal sealed class AgentEventRelays(BoardApiClient api, DaemonDatabase database, AgentEventRelayOptions options, TimeProvider timeProvider, ILogger logger)
{
    private readonly AgentEventSeqs _seqs = new(new MetaStore(database));

    public SessionEventRelay? Start(SessionRecord session) =>
        options.Enabled ? new SessionEventRelay(session, api, _seqs, options, timeProvider, logger) : null;
}
