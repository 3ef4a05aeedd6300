using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Api;

/// <summary>The rules that confine a worker session to its own task and its own epoch.</summary>
public static class TaskGuards
{
    /// <summary>403 when a worker session tries to touch a task other than the one it was opened for.</summary>
    public static void RequireOwnTask(Caller caller, string taskId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.IsWorker && caller.TaskId != taskId)
        {
            throw ApiException.Forbidden($"this worker session may only act on its own task '{caller.TaskId}'");
        }
    }

    /// <summary>
    /// 403 unless a worker session's new task would be a subtask of its own task: a worker splits up or hands on the
    /// work it holds; it does not file work elsewhere on the board.
    /// </summary>
    public static void RequireOwnSubtask(Caller caller, string? parentId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.IsWorker)
        {
            return;
        }

        if (caller.TaskId is null)
        {
            throw ApiException.Forbidden("this worker session holds no task, so it cannot create subtasks");
        }

        if (parentId is { Length: > 0 } && parentId != caller.TaskId)
        {
            throw ApiException.Forbidden(
                $"this worker session may only create subtasks of its own task '{caller.TaskId}' (parent_id '{Validate.Truncate(parentId)}' is another task)");
        }
    }

    /// <summary>
    /// Inside a write: the task exists for the owner and — for a worker — is still at the session's epoch. The row is
    /// share-locked (PostgreSQL) so a lease expiry cannot slip in before the commit.
    /// </summary>
    public static async Task<TaskDto> LockTaskAsync(WriteTransaction tx, Caller caller, string taskId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(caller);
        var epoch = await tx.Command("SELECT epoch FROM tasks WHERE id = @id AND owner_id = @o" + tx.Dialect.ForShare)
            .Add("@id", taskId).Add("@o", caller.OwnerId).ScalarAsync(cancellationToken);
        if (epoch is null)
        {
            throw ApiException.NotFound("task", Validate.Truncate(taskId));
        }

        if (caller.IsWorker && Convert.ToInt64(epoch, System.Globalization.CultureInfo.InvariantCulture) != caller.Epoch)
        {
            throw StaleEpoch(caller.Epoch, Convert.ToInt64(epoch, System.Globalization.CultureInfo.InvariantCulture));
        }

        return await TaskRows.GetAsync(tx.Scope, caller.OwnerId, taskId, now, cancellationToken)
               ?? throw ApiException.NotFound("task", Validate.Truncate(taskId));
    }

    public static ApiException StaleEpoch(long sessionEpoch, long taskEpoch) =>
        ApiException.Conflict(
            $"stale epoch: this session was started at epoch {sessionEpoch} but the task is now at epoch {taskEpoch} (it was re-leased or its lease expired)",
            ErrorCodes.StaleEpoch);
}
