using System.Text;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The status transitions of a task (claim, review, reject, complete, cancel, release) as compare-and-set updates.</summary>
public static partial class TaskRows
{
    /// <summary>A task's state as a refused transition explains itself from.</summary>
    public sealed record TransitionState(string Status, long Epoch, string? AssignedTo);

    /// <summary>
    /// Applies <paramref name="action"/> if the task is in a state it is allowed from (and, with <paramref name="fence"/>,
    /// still at that epoch; a claim also only by the assignee). Returns the number of rows changed: 0 when refused.
    /// </summary>
    public static async Task<int> TransitionAsync(
        WriteTransaction tx, string ownerId, string id, TaskAction action, long? fence, string? sessionId, string? agentId, string? prUrl,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(UpdateSql(action, prUrl is { Length: > 0 }, fence is not null));
        command.Add("@to", TaskTransitions.Target(action).ToName()).Add("@now", now).Add("@id", id).Add("@o", ownerId);
        var allowed = TaskTransitions.AllowedFrom(action);
        for (var i = 0; i < allowed.Count; i++)
        {
            command.Add(StatusParameters[i], allowed[i].ToName());
        }

        switch (action)
        {
            case TaskAction.Claim:
                command.Add("@session", sessionId).Add("@agent", agentId);
                break;
            case TaskAction.Review when prUrl is { Length: > 0 }:
                command.Add("@pr", prUrl);
                break;
        }

        if (fence is not null)
        {
            command.Add("@epoch", fence.Value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static readonly string[] StatusParameters = ["@s0", "@s1", "@s2", "@s3", "@s4"];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(TaskAction, bool, bool), string> Statements = new();

    /// <summary>
    /// The compare-and-set for one action: <c>UPDATE tasks SET status = @to … WHERE id = @id AND owner_id = @o AND status IN
    /// (allowed) [AND epoch = @epoch] [AND assigned_to = @agent]</c>. The text depends only on its inputs, so it is built once
    /// and reused as a prepared statement.
    /// </summary>
    private static string UpdateSql(TaskAction action, bool withPrUrl, bool fenced) => Statements.GetOrAdd((action, withPrUrl, fenced), static key =>
    {
        var (action, withPrUrl, fenced) = key;
        var sql = new StringBuilder("UPDATE tasks SET status = @to, updated_at = @now");
        switch (action)
        {
            case TaskAction.Claim:
                sql.Append(", active_session_id = @session");
                break;
            case TaskAction.Review when withPrUrl:
                sql.Append(", pr_url = @pr");
                break;
            case TaskAction.Complete or TaskAction.Cancel:
                // A finished task needs no lease any more.
                sql.Append(", lease_machine_id = NULL, lease_expires_at = NULL");
                break;
            case TaskAction.Release:
                // Back to todo for another run: the old lease and its sessions are fenced off by the new epoch.
                sql.Append(", scheduled_at = NULL, lease_machine_id = NULL, lease_expires_at = NULL, active_session_id = NULL, epoch = epoch + 1");
                break;
        }

        sql.Append(" WHERE id = @id AND owner_id = @o AND status IN (");
        var allowed = TaskTransitions.AllowedFrom(action);
        for (var i = 0; i < allowed.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(StatusParameters[i]);
        }

        sql.Append(')');
        if (fenced)
        {
            sql.Append(" AND epoch = @epoch");
        }

        if (action == TaskAction.Claim)
        {
            sql.Append(" AND assigned_to = @agent");
        }

        return sql.ToString();
    });

    /// <summary>True when the task is in progress, claimed by the session at the epoch.</summary>
    public static async Task<bool> IsClaimedByAsync(DbScope db, string ownerId, string id, string sessionId, long epoch, CancellationToken cancellationToken) =>
        await db.Command("SELECT 1 FROM tasks WHERE id = @id AND owner_id = @o AND status = @s AND active_session_id = @session AND epoch = @epoch")
            .Add("@id", id).Add("@o", ownerId).Add("@s", TaskStatusNames.InProgress).Add("@session", sessionId).Add("@epoch", epoch)
            .ScalarAsync(cancellationToken) is not null;

    /// <summary>The task's status, epoch and assignee; null when the owner has no such task.</summary>
    public static async Task<TransitionState?> TransitionStateAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT status, epoch, assigned_to FROM tasks WHERE id = @id AND owner_id = @o")
            .Add("@id", id).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TransitionState(reader.GetString(0), reader.GetInt64(1), reader.GetStringOrNull(2))
            : null;
    }
}
