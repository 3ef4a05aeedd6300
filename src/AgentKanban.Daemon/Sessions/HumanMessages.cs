using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// Messages people post on a task while its agent runs, waits on a rate limit or sits in review. The runtimes here
/// take no input mid-run, so such messages are queued on the server (they are the task's chat) and handed to the
/// agent with the prompt of its next launch. A per-session cursor (the last message handed over, in the store's
/// <c>meta</c>) makes each message reach the agent once.
/// </summary>
internal sealed class HumanMessages(BoardApiClient api, MetaStore meta, ILogger logger)
{
    /// <summary>How long a launch waits for the task's messages; past it the agent starts without them (they wait for the next launch).</summary>
    private static readonly TimeSpan FetchTimeout = TimeSpan.FromSeconds(2);

    private const string Prefix = "human_messages_delivered:";

    /// <summary>
    /// The people's messages this session's agent has not been given yet, oldest first (empty when the server cannot say).
    /// <paramref name="task"/>: the task as just read from the server (with its messages), if the caller has it.
    /// </summary>
    public async Task<IReadOnlyList<MessageDto>> PendingAsync(SessionRecord session, TaskDto? task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(FetchTimeout);
            var cursor = await meta.GetAsync(Prefix + session.Id, timeout.Token);
            task ??= await api.FindTaskAsync(session.TaskId, timeout.Token);
            var messages = task?.Messages ?? [];
            var from = cursor is null ? 0 : IndexAfter(messages, cursor);
            return messages.Skip(from).Where(m => m.SenderType == "user").ToList();
        }
        catch (Exception e) when (e is ServerApiException or OperationCanceledException or Microsoft.Data.Sqlite.SqliteException && !cancellationToken.IsCancellationRequested)
        {
            DaemonLog.HumanMessagesUnavailable(logger, session.Id, e.Message);
            return [];
        }
    }

    /// <summary>The session's task with its activity and messages, or null when the server cannot say within a launch's patience.</summary>
    public async Task<TaskDto?> FindTaskAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(FetchTimeout);
            return await api.FindTaskAsync(session.TaskId, timeout.Token);
        }
        catch (Exception e) when (e is ServerApiException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            DaemonLog.TaskHistoryUnavailable(logger, session.Id, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Records that the agent was given everything up to <paramref name="last"/>. Called after the process started:
    /// a crash before this write hands the same messages over again on the next launch rather than losing them.
    /// </summary>
    public async Task DeliveredAsync(SessionRecord session, MessageDto last)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(last);
        try
        {
            await meta.SetAsync(Prefix + session.Id, Cursor(last), CancellationToken.None);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            DaemonLog.HumanMessagesUnavailable(logger, session.Id, e.Message);
        }
    }

    /// <summary>The cursor is the message id plus its time, so it still works once the message fell out of the server's latest-N list.</summary>
    private static string Cursor(MessageDto message) =>
        message.CreatedAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture) + "|" + message.Id;

    private static int IndexAfter(IReadOnlyList<MessageDto> messages, string cursor)
    {
        var bar = cursor.IndexOf('|', StringComparison.Ordinal);
        var id = bar < 0 ? cursor : cursor[(bar + 1)..];
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Id == id)
            {
                return i + 1;
            }
        }

        // Not among the latest messages: everything newer than the delivered one's time is new.
        var at = bar > 0 && long.TryParse(cursor.AsSpan(0, bar), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.MinValue;
        var index = 0;
        while (index < messages.Count && messages[index].CreatedAt <= at)
        {
            index++;
        }

        return index;
    }
}
