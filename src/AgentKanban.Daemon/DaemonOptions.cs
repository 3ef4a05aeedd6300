using AgentKanban.Core.Policies;

namespace AgentKanban.Daemon;

/// <summary>
/// How to run the machine daemon (what <c>ak daemon run</c> and <c>ak up</c> pass in). Everything has a
/// sensible default; tests override the timings and point runtimes at a fake agent.
/// </summary>
public sealed record DaemonOptions
{
    /// <summary>State directory (database, logs, machine key). Null = <c>${XDG_STATE_HOME:-~/.local/state}/agent-kanban</c>.</summary>
    public string? StateDir { get; init; }

    /// <summary>Board server base URL. Null = <c>AK_SERVER</c>, then the CLI config's <c>server</c>.</summary>
    public string? Server { get; init; }

    /// <summary>A user token (<c>akp_…</c>, registers this machine) or a machine key (<c>akm_…</c>). Null = <c>AK_TOKEN</c>, then the config.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// The environment the daemon reads (credentials, XDG paths, PATH) and hands on to agents, minus its own
    /// credentials. Null = the process environment.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>
    /// Runtime name → executable, overriding the <c>PATH</c> lookup (tests run a fake agent as <c>claude</c>).
    /// Also read from <c>AK_RUNTIME_&lt;NAME&gt;</c> (e.g. <c>AK_RUNTIME_CLAUDE=/path/to/fake</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string>? RuntimeExecutables { get; init; }

    /// <summary>
    /// Directory put first on each agent's <c>PATH</c> so it finds <c>ak</c>. Null = the directory of the running
    /// executable when it is the <c>ak</c> app host, else nothing is added.
    /// </summary>
    public string? AkDirectory { get; init; }

    /// <summary>
    /// Run each agent in its own user, mount and PID namespaces (see <c>Sandbox/AgentSandbox</c>). False only when the
    /// operator opts out (<c>--no-sandbox</c>); when on and the machine refuses namespaces, no agent is started.
    /// </summary>
    public bool Sandbox { get; init; } = true;

    /// <summary>More directories the sandbox hides from agents (<c>--sandbox-hide</c>).</summary>
    public IReadOnlyList<string> SandboxHide { get; init; } = [];

    /// <summary>Paths inside hidden directories that agents may use all the same (<c>--sandbox-open</c>, read-write).</summary>
    public IReadOnlyList<string> SandboxOpen { get; init; } = [];

    /// <summary>Machine name shown on the board. Null = the host name.</summary>
    public string? MachineName { get; init; }

    /// <summary>Most sessions running at once per runtime.</summary>
    public int MaxConcurrentPerRuntime { get; init; } = 3;

    /// <summary>Most sessions running at once on this machine.</summary>
    public int MaxConcurrent { get; init; } = 6;

    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First polling interval of the fallback dispatch poll; grows ×1.5 while idle up to <see cref="PollMaxInterval"/>.</summary>
    public TimeSpan PollMinInterval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan PollMaxInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often running and in-review sessions' tasks are checked (cancelled, re-issued, reviewed).</summary>
    public TimeSpan TaskWatchInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a running agent's task is read for people's messages the event stream may have missed (it was down);
    /// pushed messages reach the agent at once.
    /// </summary>
    public TimeSpan LiveMessagePollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often each task in review that this machine worked on is checked for a merged (or closed) pull request or
    /// branch (<c>Review/ReviewMonitor</c>).
    /// </summary>
    public TimeSpan ReviewPollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest one review check may fetch the task's repository.</summary>
    public TimeSpan ReviewCheckTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest one <c>gh pr view</c> may run.</summary>
    public TimeSpan GitHubTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First wait after GitHub's rate limit refused a check; doubles with each further refusal, up to an hour.</summary>
    public TimeSpan GitHubRateLimitBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How the daemon answers provider rate limits; <see cref="RateLimitOptions.UnknownResetWindow"/> is the pause when a
    /// provider refuses without saying when its window resets (<c>--unknown-reset-pause</c>).
    /// </summary>
    public RateLimitOptions RateLimits { get; init; } = RateLimitOptions.Default;

    /// <summary>An agent with no output for this long is stopped and retried later (0 = off).</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>One agent run may last at most this long (0 = off).</summary>
    public TimeSpan TaskTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Between SIGTERM and SIGKILL of an agent's process group.</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After the first shutdown signal, running agents may finish the tool call they are in for this long;
    /// then (or at a second signal) they are stopped. Either way their sessions stay active and resume on the next start.
    /// </summary>
    public TimeSpan ShutdownDrainTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Handle SIGTERM/SIGINT itself (staged shutdown). Off when the caller stops the daemon through the token only.</summary>
    public bool HandleSignals { get; init; } = true;

    /// <summary>Also log to standard error (the state dir's <c>logs/daemon.log</c> is always written).</summary>
    public bool LogToConsole { get; init; } = true;

    /// <summary>Permission mode for Claude Code when the agent does not set one (works as root and as a user).</summary>
    public string DefaultPermissionMode { get; init; } = "acceptEdits";

    /// <summary>Listen on the machine's event stream for work (push); polling alone when false.</summary>
    public bool UseEventStream { get; init; } = true;

    /// <summary>
    /// Called right after an agent process was started: (local session id, task id, pid, whether it resumed a
    /// conversation). For benchmarks and embedding hosts; it must return quickly.
    /// </summary>
    public Action<string, string, int, bool>? OnAgentStarted { get; init; }

    /// <summary>How a running agent's live events are relayed to the board.</summary>
    public Relay.AgentEventRelayOptions AgentEvents { get; init; } = new();
}
