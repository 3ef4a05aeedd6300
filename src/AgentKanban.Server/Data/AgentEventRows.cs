using System.Globalization;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>
/// Live agent events in the durable event log: the session they belong to, the last stored seq, pruning to the last N
/// per session, and the retained history of a task.
/// </summary>
public static class AgentEventRows
{
    /// <summary>The session a batch is for, with what the event rows need.</summary>
    public sealed record SessionTarget(string SessionId, string TaskId, string BoardId, string MachineId);

    /// <summary>The highest seq stored for the session (0 when none). Pruning always keeps the newest, so this survives it.</summary>
    public static async Task<long> LastSeqAsync(DbScope db, string sessionId, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT MAX(agent_seq) FROM events WHERE session_id = @s").Add("@s", sessionId);
        var value = await command.ScalarAsync(cancellationToken);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Makes room for <paramref name="incoming"/> newer events so the session keeps at most <paramref name="cap"/>:
    /// deletes all but the newest <c>cap - incoming</c> stored ones, and raises the prune mark of their task (a task
    /// stream resuming from before the deleted events is then told to reload).
    /// </summary>
    public static async Task PruneAsync(WriteTransaction tx, string sessionId, int incoming, int cap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var keep = cap - incoming;
        if (keep <= 0)
        {
            await EventPruneMarks.DeleteAsync(tx,
                tx.Command("DELETE FROM events WHERE session_id = @s RETURNING id, task_id").Add("@s", sessionId),
                wholeLog: false, cancellationToken);
            return;
        }

        // The seq of the newest event that has to go (NULL — nothing deleted — while the session holds at most `keep`).
        await EventPruneMarks.DeleteAsync(tx,
            tx.Command(
                    "DELETE FROM events WHERE session_id = @s AND agent_seq <= " +
                    "(SELECT agent_seq FROM events WHERE session_id = @s ORDER BY agent_seq DESC LIMIT 1 OFFSET @keep) RETURNING id, task_id")
                .Add("@s", sessionId).Add("@keep", (long)keep),
            wholeLog: false, cancellationToken);
    }

    /// <summary>The log row for one event (board, machine and agent columns stay empty: see the remark).</summary>
    /// <remarks>
    /// Only the task column is set, so agent events reach task streams but never board streams or the machine stream
    /// (the daemon's push channel must not carry a running agent's chatter).
    /// </remarks>
    public static EventRecord Record(string ownerId, SessionTarget target, AgentEventDto agentEvent, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(agentEvent);
        return new EventRecord(ownerId, null, target.TaskId, null, null,
            new ServerEventDto
            {
                Type = ServerEvents.AgentEvent,
                BoardId = target.BoardId,
                TaskId = target.TaskId,
                MachineId = target.MachineId,
                CreatedAt = now,
                AgentEvent = agentEvent,
            })
        {
            SessionId = target.SessionId,
            AgentSeq = agentEvent.Seq,
        };
    }

    /// <summary>The retained agent events of a task (optionally one session, optionally after a seq), oldest first.</summary>
    public static async Task<List<AgentEventDto>> ListAsync(
        DbScope db, string ownerId, string taskId, string? sessionId, long? afterSeq, CancellationToken cancellationToken)
    {
        var sql = "SELECT payload FROM events WHERE task_id = @t AND owner_id = @o AND type = @type" +
                  (sessionId is null ? "" : " AND session_id = @s") +
                  (afterSeq is null ? "" : " AND agent_seq > @a") +
                  " ORDER BY id";
        await using var command = db.Command(sql).Add("@t", taskId).Add("@o", ownerId).Add("@type", ServerEvents.AgentEvent);
        if (sessionId is not null)
        {
            command.Add("@s", sessionId);
        }

        if (afterSeq is { } after)
        {
            command.Add("@a", after);
        }

        var list = new List<AgentEventDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var stored = JsonSerializer.Deserialize(reader.GetString(0), ContractsJsonContext.Default.ServerEventDto);
            if (stored?.AgentEvent is { } agentEvent)
            {
                list.Add(agentEvent);
            }
        }

        return list;
    }
}
