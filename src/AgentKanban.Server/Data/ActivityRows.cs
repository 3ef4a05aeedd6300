using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>activity</c> table: a task's history (transitions, notes, assignments, lease expiries).</summary>
public static class ActivityRows
{
    public static async Task<List<ActivityDto>> ListAsync(DbScope db, string taskId, int limit, CancellationToken cancellationToken)
    {
        // The newest entries, returned oldest first.
        await using var command = db.Command(
            "SELECT id, task_id, actor_type, actor_id, action, detail, session_id, created_at FROM " +
            "(SELECT * FROM activity WHERE task_id = @task ORDER BY seq DESC LIMIT @limit) a ORDER BY seq")
            .Add("@task", taskId).Add("@limit", (long)limit);
        var list = new List<ActivityDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ActivityDto(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetStringOrNull(5), reader.GetStringOrNull(6), reader.GetTime(7)));
        }

        return list;
    }

    /// <summary>Inserts one activity entry and returns it.</summary>
    public static async Task<ActivityDto> AddAsync(
        WriteTransaction tx, string taskId, string actorType, string actorId, string action, string? detail, string? sessionId,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var activity = new ActivityDto(Ids.New(), taskId, actorType, actorId, action, detail, sessionId, now);
        await tx.Command(
            "INSERT INTO activity (id, task_id, actor_type, actor_id, action, detail, session_id, created_at) " +
            "VALUES (@id, @task, @type, @actor, @action, @detail, @session, @at)")
            .Add("@id", activity.Id).Add("@task", taskId).Add("@type", actorType).Add("@actor", actorId)
            .Add("@action", action).Add("@detail", detail).Add("@session", sessionId).Add("@at", now)
            .ExecAsync(cancellationToken);
        return activity;
    }
}
