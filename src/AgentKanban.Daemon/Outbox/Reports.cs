using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Outbox;

/// <summary>
/// The reports the daemon sends through the outbox. Keys that name a one-time fact about a session
/// (its release, its close) are deterministic, so queuing the same fact twice queues it once.
/// </summary>
public static class Reports
{
    public const string WhyKind = "why";
    public const string MessageKind = "message";
    public const string UsageKind = "usage";
    public const string ReleaseKind = "release";
    public const string LeaseReturnKind = "lease_return";
    public const string CloseKind = "session_close";

    private static readonly ContractsJsonContext Json = ContractsJsonContext.Default;

    /// <summary><c>PUT /api/tasks/{id}/why</c>: the daemon's latest reason for not running the task.</summary>
    public static Report Why(string taskId, string reason) => new(
        WhyKind,
        $"why:{taskId}:{Guid.NewGuid():N}",
        "PUT",
        $"api/tasks/{Escape(taskId)}/why",
        JsonSerializer.Serialize(new WhyRequest(reason), Json.WhyRequest),
        null);

    /// <summary>Text the agent wrote, posted to its task as the agent (signed with the session's key).</summary>
    public static Report Message(SessionRecord session, string text)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new(
            MessageKind,
            $"msg:{session.Id}:{Guid.NewGuid():N}",
            "POST",
            $"api/tasks/{Escape(session.TaskId)}/messages",
            JsonSerializer.Serialize(new MessageRequest(text), Json.MessageRequest),
            session.Id,
            SignAsSession: true);
    }

    /// <summary>Tokens of one turn and the cost added since the last report; the server adds them to the session's counters.</summary>
    public static Report Usage(SessionRecord session, TokenUsage usage, long costMicroUsd)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new(
            UsageKind,
            $"usage:{session.Id}:{Guid.NewGuid():N}",
            "POST",
            $"api/sessions/{Escape(session.ServerSessionId)}/usage",
            JsonSerializer.Serialize(new SessionUsageRequest
            {
                InputTokens = usage.InputTokens,
                OutputTokens = usage.OutputTokens,
                CacheReadTokens = usage.CacheReadTokens,
                CacheCreationTokens = usage.CacheCreationTokens,
                CostMicroUsd = costMicroUsd,
            }, Json.SessionUsageRequest),
            session.Id);
    }

    /// <summary>
    /// Gives a claimed task back to <c>todo</c> with the reason. Fenced by the session's epoch: if the task was
    /// re-issued meanwhile, the server refuses it instead of releasing someone else's run.
    /// </summary>
    public static Report Release(SessionRecord session, string reason)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Release(session.Id, session.TaskId, session.Epoch, reason, $"release:{session.Id}:{session.Epoch}");
    }

    /// <summary>Releases a task this machine holds the lease of but has no session for (a lost ending), fenced by that lease's epoch.</summary>
    public static Report ReleaseOrphan(string taskId, long epoch, string reason) =>
        Release(null, taskId, epoch, reason, $"release:task:{taskId}:{epoch}");

    /// <summary>Gives back the lease of a task that was never claimed, so another attempt (or machine) may take it.</summary>
    public static Report ReturnLease(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return ReturnLease(session.Id, session.TaskId, session.Epoch, $"lease-return:{session.Id}:{session.Epoch}");
    }

    /// <summary>Gives back a todo task's lease this machine holds without a session for it, fenced by that lease's epoch.</summary>
    public static Report ReturnOrphanLease(string taskId, long epoch) =>
        ReturnLease(null, taskId, epoch, $"lease-return:task:{taskId}:{epoch}");

    private static Report Release(string? sessionId, string taskId, long epoch, string reason, string key) => new(
        ReleaseKind,
        key,
        "POST",
        $"api/tasks/{Escape(taskId)}/release",
        JsonSerializer.Serialize(new TransitionRequest(Reason: reason, Epoch: epoch), Json.TransitionRequest),
        sessionId,
        taskId);

    private static Report ReturnLease(string? sessionId, string taskId, long epoch, string key) => new(
        LeaseReturnKind,
        key,
        "DELETE",
        $"api/tasks/{Escape(taskId)}/lease?epoch={epoch.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        null,
        sessionId,
        taskId);

    /// <summary>Closes the server's record of a session; its tokens are refused from then on.</summary>
    public static Report CloseSession(string localSessionId, string serverSessionId) => new(
        CloseKind,
        $"close:{serverSessionId}",
        "POST",
        $"api/sessions/{Escape(serverSessionId)}/close",
        "{}",
        localSessionId);

    private static string Escape(string value) => Uri.EscapeDataString(value);
}
