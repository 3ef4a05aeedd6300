using AgentKanban.Core.Sessions;

namespace AgentKanban.Daemon.Store;

/// <summary>
/// One session row of the daemon's store. Changed only through <see cref="SessionStore.TransitionAsync"/>
/// (state changes, compare-and-set) or the store's narrow field updates (resume token, pid, counters).
/// </summary>
public sealed record SessionRecord
{
    public required string Id { get; init; }
    public required string TaskId { get; init; }
    public required string AgentId { get; init; }
    public required string Runtime { get; init; }
    public required SessionState State { get; init; }

    /// <summary>Bumped by every write; the compare-and-set guard of a transition.</summary>
    public long Version { get; init; } = 1;

    /// <summary>The task lease epoch (fencing number) the session runs under.</summary>
    public required long Epoch { get; init; }

    /// <summary>
    /// The server's id of this session (the agent's <c>AK_SESSION_ID</c>). Equal to <see cref="Id"/> unless the task's
    /// lease lapsed (daemon down too long) and was taken again: then a new server session is opened under the new epoch.
    /// </summary>
    public required string ServerSessionId { get; init; }

    /// <summary>Base64 PKCS#8 ECDSA P-256 private key; the agent signs its API calls with it.</summary>
    public required string PrivateKey { get; init; }

    public required string PublicKey { get; init; }

    /// <summary>The provider conversation id chosen before the first launch (Claude: <c>--session-id</c>).</summary>
    public required string ProviderSessionId { get; init; }

    /// <summary>
    /// What the runtime needs to continue the conversation; set once the runtime reported the conversation started.
    /// Null means the next launch starts fresh (with a new <see cref="ProviderSessionId"/> if one was tried before).
    /// </summary>
    public string? ResumeToken { get; init; }

    /// <summary>How many agent processes were launched for this session (0 → next launch starts fresh).</summary>
    public int Launches { get; init; }

    /// <summary>The work protocol appended to the runtime's system prompt, on the first launch and every resume.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>The task prompt: what a launch says when the provider has no conversation to resume yet.</summary>
    public string? TaskPrompt { get; init; }

    public string? Model { get; init; }
    public string? PermissionMode { get; init; }

    /// <summary>The agent's own command line for runtime <c>acp</c> (null = the daemon's default agent).</summary>
    public string? AgentCommand { get; init; }
    public string? RepositoryUrl { get; init; }
    public string? Workspace { get; init; }
    public string? Branch { get; init; }

    /// <summary>When a waiting session may resume; null when it is not waiting.</summary>
    public DateTimeOffset? ResumeAfter { get; init; }

    /// <summary>When <see cref="ResumeAfter"/> was decided (see <c>DueTime</c>).</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>The prompt for the next resume (never empty when the session waits).</summary>
    public string? NextPrompt { get; init; }

    /// <summary>Consecutive transient failures; drives the capped backoff.</summary>
    public int Attempts { get; init; }

    public string? LastReason { get; init; }
    public int? Pid { get; init; }

    /// <summary>The server knows the session (<c>POST /api/sessions</c> acknowledged).</summary>
    public bool ServerSessionOpen { get; init; }

    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CacheReadTokens { get; init; }
    public long CacheCreationTokens { get; init; }
    public long CostMicroUsd { get; init; }

    /// <summary>Cost already reported for the current process run (the runtime reports a running total).</summary>
    public long RunCostMicroUsd { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }

    public string ShortId => Id.Length > 8 ? Id[..8] : Id;

    /// <summary>
    /// This session with the fields every launch resets, applied inside the transition that makes it Active (Launch,
    /// Resume) so the hot path costs one durable write: a new launch count, a fresh provider session id when there is
    /// no conversation to continue, the per-run cost baseline, no pending resume time.
    /// </summary>
    public SessionRecord PrepareLaunch() => this with
    {
        Launches = Launches + 1,
        // A conversation the provider never confirmed cannot be resumed; an id that may have been half used is not
        // reused either: start fresh under a new one (chosen and stored before the spawn).
        ProviderSessionId = ResumeToken is null && Launches > 0 ? Guid.NewGuid().ToString() : ProviderSessionId,
        RunCostMicroUsd = 0,
        ResumeAfter = null,
        DecidedAt = null,
        Pid = null,
    };
}
