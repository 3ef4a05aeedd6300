using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>
/// The SQL of the GitHub webhook: finds the tasks in review whose <c>pr_url</c> names a pull request and finishes each one
/// with a compare-and-set from <c>in_review</c>, its activity entry and its events, in the caller's transaction.
/// </summary>
internal static class PullRequestTaskRows
{
    public const string ActorType = "github";
    public const string ActorId = "webhook";

    /// <summary>(task id, owner id) of every task in review whose pull request is <paramref name="urls"/>' one, across owners.</summary>
    public static async Task<IReadOnlyList<(string TaskId, string OwnerId)>> InReviewAsync(
        WriteTransaction tx, IReadOnlyList<string> urls, CancellationToken cancellationToken)
    {
        var command = tx.Command("SELECT id, owner_id FROM tasks WHERE status = @s AND pr_url IN (@u0, @u1, @u2) ORDER BY id");
        await using (command)
        {
            command.Add("@s", TaskStatusNames.InReview);
            for (var i = 0; i < 3; i++)
            {
                command.Add("@u" + i, urls[Math.Min(i, urls.Count - 1)]);
            }

            var found = new List<(string, string)>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add((reader.GetString(0), reader.GetString(1)));
            }

            return found;
        }
    }

    /// <summary>Completes or cancels one task still in review; null when it left review meanwhile.</summary>
    public static async Task<TaskDto?> FinishAsync(
        WriteTransaction tx, string taskId, string ownerId, TaskAction action, string detail, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var changed = await tx.Command(
                "UPDATE tasks SET status = @to, updated_at = @now, lease_machine_id = NULL, lease_expires_at = NULL " +
                "WHERE id = @id AND owner_id = @o AND status = @from")
            .Add("@to", TaskTransitions.Target(action).ToName()).Add("@now", now).Add("@id", taskId).Add("@o", ownerId)
            .Add("@from", TaskStatusNames.InReview)
            .ExecAsync(cancellationToken);
        if (changed == 0)
        {
            return null;
        }

        var activity = await ActivityRows.AddAsync(tx, taskId, ActorType, ActorId, action.ToActivity(), detail, null, now, cancellationToken);
        var task = await TaskRows.GetAsync(tx.Scope, ownerId, taskId, now, cancellationToken);
        if (task is null)
        {
            return null;
        }

        tx.AddEvent(ServerEvents.Task(ServerEvents.TaskUpdated, ownerId, task, now));
        tx.AddEvent(ServerEvents.Activity(ownerId, task, activity));
        return task;
    }
}
