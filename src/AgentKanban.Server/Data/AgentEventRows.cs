using System.Globalization;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Api;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Http;
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

    /// <summary>
    /// Inside a write: the caller may post for the session (the session itself or the machine that opened it), the
    /// session is open, has a task, and — for a worker — still holds the task's epoch. On PostgreSQL the session row is
    /// locked to the commit, so two batches of one session are applied one after the other and seq order holds.
    /// </summary>
    public static async Task<SessionTarget> LockSessionAsync(WriteTransaction tx, Caller caller, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(caller);
        string machineId;
        string? taskId;
        long epoch;
        string status;
        string kind;
        await using (var command = tx.Command(
                         "SELECT s.machine_id, s.task_id, s.epoch, s.status, a.kind FROM sessions s JOIN agents a ON a.id = s.agent_id " +
                         "WHERE s.id = @id AND s.owner_id = @o" + (tx.Kind == StorageKind.Postgres ? " FOR UPDATE OF s" : ""))
                     .Add("@id", sessionId).Add("@o", caller.OwnerId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw ApiException.NotFound("session", Validate.Truncate(sessionId));
            }

            machineId = reader.GetString(0);
            taskId = reader.GetStringOrNull(1);
            epoch = reader.GetInt64(2);
            status = reader.GetString(3);
            kind = reader.GetString(4);
        }

        if (caller.Kind == CallerKind.Machine && caller.MachineId != machineId)
        {
            throw ApiException.Forbidden("only the machine that opened a session may post its agent events");
        }

        if (status != "active")
        {
            throw ApiException.Conflict($"session '{sessionId}' is closed");
        }

        if (taskId is null)
        {
            throw ApiException.Conflict($"session '{sessionId}' has no task to relay agent events to");
        }

        await using var task = tx.Command("SELECT epoch, board_id FROM tasks WHERE id = @id AND owner_id = @o" + tx.Dialect.ForShare)
            .Add("@id", taskId).Add("@o", caller.OwnerId);
        await using var row = await task.ExecuteReaderAsync(cancellationToken);
        if (!await row.ReadAsync(cancellationToken))
        {
            throw ApiException.NotFound("task", Validate.Truncate(taskId));
        }

        var taskEpoch = row.GetInt64(0);
        if (kind == "worker" && taskEpoch != epoch)
        {
            // The task was re-leased: what this session's agent does no longer belongs on the task's stream.
            throw TaskGuards.StaleEpoch(epoch, taskEpoch);
        }

        return new SessionTarget(sessionId, taskId, row.GetString(1), machineId);
    }

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
