using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Sandbox;
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

    /// <summary>How agents are sandboxed; null (a composition without one) = no sandbox in play.</summary>
    public AgentSandbox? Sandbox { get; init; }

    /// <summary>The usage windows providers last reported, per runtime (sent with each heartbeat).</summary>
    public RuntimeUsage Usage { get; } = new();

    /// <summary>Why no agent may start on this machine (the sandbox is required and unavailable), or null.</summary>
    public string? AgentsRefused => Sandbox is { Mode: SandboxMode.Unavailable } sandbox
        ? $"agents need a sandbox and this machine cannot make one ({sandbox.Support?.Problem}); run the daemon with --no-sandbox to run them without"
        : null;
}
