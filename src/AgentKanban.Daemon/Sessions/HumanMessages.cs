using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// Messages people post on a task (its chat on the server). A running agent whose runtime takes live input gets each one
/// within seconds (<see cref="LiveInbox"/>), and what it took in is recorded per message (<see cref="DeliveredMessageStore"/>,
/// on the runtime's acknowledgement). Everything else — messages posted while the agent waits on a rate limit, sits in
/// review, or runs on a runtime without live input, and live ones it never acknowledged (a crash) — is handed to the
/// agent with the prompt of its next launch. A per-session cursor (the last message handed over at a launch, in the
/// store's <c>meta</c>) and the delivered table make each message reach the agent once.
/// </summary>
internal sealed class HumanMessages(BoardApiClient api, MetaStore meta, DeliveredMessageStore delivered, ILogger logger)
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
            var taken = await delivered.ListAsync(session.Id, timeout.Token);
            task ??= await api.FindTaskAsync(session.TaskId, timeout.Token);
            var messages = task?.Messages ?? [];
            var from = cursor is null ? 0 : IndexAfter(messages, cursor);
            return messages.Skip(from).Where(m => m.SenderType == "user" && !taken.Contains(m.Id)).ToList();
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
    /// Records that the agent was given <paramref name="messages"/> with its prompt (and everything before the last). Called after the process started:
    /// a crash before this write hands the same messages over again on the next launch rather than losing them.
    /// </summary>
    public async Task DeliveredAsync(SessionRecord session, IReadOnlyList<MessageDto> messages, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        try
        {
            // Recorded per message too, so a late push of one of them (a stream resumed from an older id) is never sent live.
            foreach (var message in messages)
            {
                await delivered.RecordAsync(session.Id, message.Id, at, CancellationToken.None);
            }

            await meta.SetAsync(Prefix + session.Id, Cursor(messages[^1]), CancellationToken.None);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            DaemonLog.HumanMessagesUnavailable(logger, session.Id, e.Message);
        }
    }

    /// <summary>The ids of the messages recorded as given to this session's agent (empty when the store cannot say).</summary>
    public async Task<IReadOnlySet<string>> DeliveredIdsAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            return await delivered.ListAsync(session.Id, cancellationToken);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            DaemonLog.HumanMessagesUnavailable(logger, session.Id, e.Message);
            return new HashSet<string>();
        }
    }

    /// <summary>
    /// Records that the agent took <paramref name="message"/> in while it ran (the runtime acknowledged it). A crash before
    /// this write hands the message over again at the next launch rather than losing it.
    /// </summary>
    public async Task AcceptedAsync(SessionRecord session, MessageDto message, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            await delivered.RecordAsync(session.Id, message.Id, at, CancellationToken.None);
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
