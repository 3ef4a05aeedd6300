using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Workspaces;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// The dispatch pipeline of one session: lease (fencing epoch) → store the session (Preparing, fresh keypair,
/// provider session id chosen up front) → open the server's session → workspace → commit Active → spawn.
/// Each step is durable before the next starts, and each can be continued from the store after a crash.
/// </summary>
public sealed class SessionStarter(
    SessionStore store,
    SessionEndings endings,
    SessionSupervisor supervisor,
    ISessionWorkspaces workspaces,
    RuntimeGate gate,
    BoardApiClient api,
    DaemonContext context,
    SessionClaims claims,
    TimeProvider timeProvider,
    ILogger<SessionStarter> logger)
{
    /// <summary>Leases <paramref name="task"/> and starts a new session for it. Never throws for a task-level problem.</summary>
    public async Task StartNewAsync(TaskDto task, AgentDto agent, bool asProbe, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(agent);
        LeaseDto lease;
        string? repositoryUrl;
        try
        {
            lease = await api.LeaseAsync(task.Id, stopping);
            // Crash point: the lease is ours but no session exists; the next start leases again (same epoch) and goes on.
            store.Database.CrashPoints.Reached(CrashPoint.LeaseTaken);
            repositoryUrl = task.RepositoryId is { } repositoryId ? (await api.GetRepositoryAsync(repositoryId, stopping)).Url : null;
        }
        catch (ServerApiException e)
        {
            DaemonLog.LeaseRefused(logger, task.Id, e.Message);
            return;
        }

        var id = Guid.NewGuid().ToString();
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var now = timeProvider.GetUtcNow();
        var session = new SessionRecord
        {
            Id = id,
            TaskId = task.Id,
            AgentId = agent.Id,
            Runtime = agent.Runtime,
            State = SessionState.Preparing,
            Epoch = lease.Epoch,
            ServerSessionId = id,
            PrivateKey = privateKey,
            PublicKey = publicKey,
            ProviderSessionId = Guid.NewGuid().ToString(),
            Model = agent.Model,
            PermissionMode = agent.PermissionMode,
            AgentCommand = agent.Command,
            RepositoryUrl = repositoryUrl,
            SystemPrompt = Prompts.System(agent, repositoryUrl is not null),
            TaskPrompt = Prompts.Task(task, repositoryUrl, null),
            CreatedAt = now,
            UpdatedAt = now,
        };

        using var claim = claims.TryClaim(id, "dispatch")!;
        CircuitBreakerState? probe = null;
        session = await store.InsertAsync(session, async (tx, s) =>
        {
            if (asProbe)
            {
                probe = CircuitBreaker.OnProbeStarted(await tx.GetBreakerAsync(s.Runtime, stopping), tx.Now);
                await tx.SetBreakerAsync(s.Runtime, probe, stopping);
            }

            await tx.ClearTaskBackoffAsync(s.TaskId, stopping);
        }, stopping);
        if (probe is not null)
        {
            gate.BreakerCommitted(session.Runtime, probe);
        }

        DaemonLog.Dispatching(logger, task.Id, agent.Runtime, id, lease.Epoch);
        await ContinuePreparingAsync(session, claim, stopping);
    }

    /// <summary>
    /// Takes a <see cref="SessionState.Preparing"/> session the rest of the way: server session, workspace, Active, spawn.
    /// The claim passes to the running agent on success.
    /// </summary>
    public async Task ContinuePreparingAsync(SessionRecord session, SessionClaims.Claim claim, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            session = await EnsureReadyAsync(session, persistWorkspace: false, stopping);
        }
        catch (PrepareException e)
        {
            DaemonLog.PrepareFailed(logger, session.Id, session.TaskId, e.Kind.ToString(), e.Message);
            await endings.ApplyAsync(session, SessionState.Preparing, e.ToVerdict(), e.Kind == PrepareFailure.Gone ? TaskView.Gone : TaskView.Unclaimed, CancellationToken.None);
            return;
        }

        // The runtime may have been paused while this session was prepared (another session hit the limit, or the daemon
        // restarted inside a window): launching now would only hit the limit. It waits for the window instead.
        if (gate.ActivePause(session.Runtime) is not null)
        {
            await endings.ApplyAsync(session, SessionState.Preparing,
                new RunVerdict(SessionTrigger.EndedRateLimited, $"runtime {session.Runtime} paused by a rate limit before the agent started", false),
                TaskView.Unclaimed, CancellationToken.None);
            return;
        }

        var launched = await CommitLaunchAsync(session, SessionState.Preparing, SessionTrigger.Launch, CancellationToken.None);
        if (launched is null)
        {
            return;
        }

        // Active is durable: from here a crash leaves a session the next start resumes in place.
        Launch(launched, Prompts.RestartResume, claim, launchPrepared: true, stopping);
    }

    /// <summary>
    /// Makes a ready session Active for a launch (<see cref="SessionTrigger.Launch"/> from Preparing,
    /// <see cref="SessionTrigger.Resume"/> from a waiting state) in ONE durable write: the launch's resets
    /// (<see cref="SessionRecord.PrepareLaunch"/>), the workspace <paramref name="ready"/> carries, and the task's "why"
    /// note. Returns the Active session, or null when the transition did not apply (logged).
    /// </summary>
    public async Task<SessionRecord?> CommitLaunchAsync(SessionRecord ready, SessionState from, SessionTrigger trigger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var launched = await store.TransitionAsync(ready.Id, from, trigger,
            s =>
            {
                var next = s.PrepareLaunch() with { LastReason = null, Workspace = ready.Workspace, Branch = ready.Branch };
                // A resume hands the prompt its waiting recorded to the agent: it is used up.
                return trigger == SessionTrigger.Resume ? next with { NextPrompt = null } : next;
            },
            (tx, s) => tx.SetWhyAsync(s.TaskId, $"running on machine {context.MachineName} (session {s.ShortId})", CancellationToken.None),
            cancellationToken);
        if (!launched.Applied)
        {
            DaemonLog.TransitionNotApplied(logger, ready.Id, trigger.ToString(), launched.Status.ToString(), launched.Message);
            return null;
        }

        return launched.Session!;
    }

    /// <summary>Hands an Active session to the supervisor; the claim goes with it.</summary>
    public void Launch(SessionRecord session, string resumePrompt, SessionClaims.Claim claim, bool launchPrepared, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(claim);
        supervisor.Start(session, resumePrompt, claim.Transfer(), launchPrepared, stopping);
    }

    /// <summary>
    /// Makes sure the server knows the session and the workspace exists (re-creating it from its branch if it vanished).
    /// A new workspace path is stored only when <paramref name="persistWorkspace"/>; otherwise the caller's next
    /// transition carries it (one durable write instead of two on the dispatch and resume paths).
    /// </summary>
    public async Task<SessionRecord> EnsureReadyAsync(SessionRecord session, bool persistWorkspace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        session = await EnsureServerSessionAsync(session, cancellationToken);
        return await EnsureWorkspaceAsync(session, persistWorkspace, cancellationToken);
    }

    /// <summary>
    /// The task is todo again (never claimed, or the lease lapsed): lease it again. Same epoch → nothing changes;
    /// a new epoch → the session moves to it under a new server session (the old one is closed through the outbox).
    /// When an agent already ran for the session (it may have claimed the task), the claim is restored under the
    /// session's current identity, so the agent carries on as if nothing happened — its `ak task review` is accepted —
    /// without claiming again (claiming again would be accepted too: a claim is idempotent for its session).
    /// </summary>
    public async Task<SessionRecord> RenewLeaseAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        session = await TakeLeaseAgainAsync(session, cancellationToken);
        return session.Launches > 0 ? await RestoreClaimAsync(session, cancellationToken) : session;
    }

    private async Task<SessionRecord> RestoreClaimAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        session = await EnsureServerSessionAsync(session, cancellationToken);
        var bearer = SessionToken.Create(session.ServerSessionId, api.Audience, session.PrivateKey, timeProvider.GetUtcNow());
        try
        {
            await api.ClaimAsSessionAsync(session.TaskId, bearer, cancellationToken);
        }
        catch (ServerApiException e) when (e.IsTransient)
        {
            throw new PrepareException(PrepareFailure.Transient, "cannot restore the claim: " + e.Message, e);
        }
        catch (ServerApiException e)
        {
            // Reassigned, cancelled, or leased again by someone else between the lease and the claim.
            throw new PrepareException(PrepareFailure.Gone, "the claim could not be restored: " + e.Message, e);
        }

        DaemonLog.ClaimRestored(logger, session.TaskId, session.Id, session.Epoch);
        return session;
    }

    private async Task<SessionRecord> TakeLeaseAgainAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        LeaseDto lease;
        try
        {
            lease = await api.LeaseAsync(session.TaskId, cancellationToken);
        }
        catch (ServerApiException e) when (e.IsTransient)
        {
            throw new PrepareException(PrepareFailure.Transient, "cannot lease the task again: " + e.Message, e);
        }
        catch (ServerApiException e)
        {
            throw new PrepareException(PrepareFailure.Gone, "the task can no longer be leased: " + e.Message, e);
        }

        if (lease.Epoch == session.Epoch)
        {
            return session;
        }

        var oldServerId = session.ServerSessionId;
        var newServerId = $"{session.Id}-e{lease.Epoch}";
        var moved = await store.UpdateAsync(session.Id, s => s with { Epoch = lease.Epoch, ServerSessionId = newServerId, ServerSessionOpen = false },
            (tx, s) => tx.EnqueueAsync(Reports.CloseSession(s.Id, oldServerId), CancellationToken.None), cancellationToken) ?? session;
        DaemonLog.Reclaimed(logger, session.Id, session.Epoch, lease.Epoch, newServerId);
        return await EnsureServerSessionAsync(moved, cancellationToken);
    }

    private async Task<SessionRecord> EnsureServerSessionAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        if (session.ServerSessionOpen)
        {
            return session;
        }

        try
        {
            await api.OpenSessionAsync(new OpenSessionRequest
            {
                SessionId = session.ServerSessionId,
                AgentId = session.AgentId,
                TaskId = session.TaskId,
                Epoch = session.Epoch,
                PublicKey = session.PublicKey,
            }, "open:" + session.ServerSessionId, cancellationToken);
        }
        catch (ServerApiException e) when (e.IsTransient)
        {
            throw new PrepareException(PrepareFailure.Transient, "cannot open the server session: " + e.Message, e);
        }
        catch (ServerApiException e) when (e.IsConflict && e.Message.Contains("already exists", StringComparison.Ordinal))
        {
            // Opened before a crash (and the idempotency record is gone): it is ours.
        }
        catch (ServerApiException e) when (e.IsConflict)
        {
            throw new PrepareException(PrepareFailure.Gone, "the task's lease is no longer this session's: " + e.Message, e);
        }
        catch (ServerApiException e)
        {
            throw new PrepareException(PrepareFailure.Terminal, "the server refused the session: " + e.Message, e);
        }

        var opened = await store.UpdateAsync(session.Id, s => s with { ServerSessionOpen = true }, null, cancellationToken) ?? session;
        // Crash point: the server knows the session; a retry's open is answered from its idempotency record.
        store.Database.CrashPoints.Reached(CrashPoint.ServerSessionOpened);
        return opened;
    }

    private async Task<SessionRecord> EnsureWorkspaceAsync(SessionRecord session, bool persist, CancellationToken cancellationToken)
    {
        if (session.Workspace is { } existing && Directory.Exists(existing))
        {
            return session;
        }

        SessionWorkspace workspace;
        try
        {
            workspace = await workspaces.CreateAsync(session.Id, session.RepositoryUrl, cancellationToken);
        }
        catch (WorkspaceException e)
        {
            throw new PrepareException(WorkspaceFailures.IsTransient(e) ? PrepareFailure.Transient : PrepareFailure.Terminal,
                "workspace: " + e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PrepareException(PrepareFailure.Transient, "workspace: " + e.Message, e);
        }

        // Crash point (not persisted yet): a retry finds the workspace on disk and the manager hands it back as it is.
        return persist
            ? await store.UpdateAsync(session.Id, s => s with { Workspace = workspace.Path, Branch = workspace.Branch }, null, cancellationToken) ?? session
            : session with { Workspace = workspace.Path, Branch = workspace.Branch };
    }
}

public enum PrepareFailure
{
    Transient,
    Terminal,
    Gone,
}

/// <summary>A session could not be made ready to run; <see cref="Kind"/> decides between retrying, giving up and cleaning up.</summary>
public sealed class PrepareException : Exception
{
    public PrepareException()
    {
    }

    public PrepareException(string message)
        : base(message)
    {
    }

    public PrepareException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PrepareException(PrepareFailure kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public PrepareFailure Kind { get; }

    public RunVerdict ToVerdict() => Kind switch
    {
        PrepareFailure.Transient => new RunVerdict(SessionTrigger.FailedTransient, Message, false),
        PrepareFailure.Gone => new RunVerdict(SessionTrigger.TaskGone, Message, false),
        _ => new RunVerdict(SessionTrigger.FailedTerminal, Message, false),
    };
}
