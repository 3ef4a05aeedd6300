using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Workspaces;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// Finishes a <see cref="SessionState.Completing"/> session: whatever is left of its agent is killed, uncommitted
/// work is saved to a wip ref, the workspace is removed, and the session is closed. A failure leaves it
/// Completing and the reconcile pass tries again.
/// </summary>
public sealed class SessionCleaner(
    SessionStore store,
    ISessionWorkspaces workspaces,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<SessionCleaner> logger)
{
    /// <summary>True when the session is closed.</summary>
    public async Task<bool> CleanAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        string? wip;
        try
        {
            // Any agent of the session, under its current lease or an earlier one, is stopped before its worktree goes.
            await StrayProcesses.KillSessionsAsync([session.Id], context.Options.StopGracePeriod, timeProvider, null, cancellationToken);

            wip = await workspaces.RemoveAsync(session.Id, cancellationToken);
            // Crash point: the work is saved and the workspace gone; a retry finds nothing to remove and closes.
            store.Database.CrashPoints.Reached(CrashPoint.WorkspaceRemoved);
        }
        catch (Exception e) when (e is WorkspaceException or IOException or UnauthorizedAccessException)
        {
            DaemonLog.CleanupFailed(logger, session.Id, e.Message);
            await store.TransitionAsync(session.Id, SessionState.Completing, SessionTrigger.CleanupFailed,
                s => s with { LastReason = "clean-up failed: " + e.Message }, null, cancellationToken);
            return false;
        }

        var closed = await store.TransitionAsync(session.Id, SessionState.Completing, SessionTrigger.CleanupDone,
            s => s with { ResumeAfter = null, DecidedAt = null, Pid = null }, null, cancellationToken);
        if (closed.Applied)
        {
            DaemonLog.Closed(logger, session.Id, wip is null ? string.Empty : ", uncommitted work saved to " + wip);
        }

        return closed.Applied;
    }
}
