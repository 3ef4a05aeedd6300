using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Setup;

namespace AgentKanban.Daemon;

/// <summary>Who and where this daemon is, shared by its parts.</summary>
public sealed record DaemonContext
{
    public required DaemonOptions Options { get; init; }
    public required StatePaths Paths { get; init; }

    /// <summary>The board server's base URL without a trailing slash (also the audience of session tokens).</summary>
    public required string Server { get; init; }

    public required string MachineId { get; init; }
    public required string MachineName { get; init; }

    /// <summary>Kept only to keep it out of agents' environments.</summary>
    public required string MachineKey { get; init; }

    /// <summary>The environment agents inherit (minus credentials).</summary>
    public required IReadOnlyDictionary<string, string?> Environment { get; init; }

    public required RuntimeCatalog Runtimes { get; init; }

    /// <summary>The directory put first on agents' PATH so they find <c>ak</c>; null when unknown.</summary>
    public string? AkDirectory { get; init; }
}
