using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
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
            throw DomainException.Forbidden($"this worker session may only act on its own task '{caller.TaskId}'");
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
            throw DomainException.Forbidden("this worker session holds no task, so it cannot create subtasks");
        }

        if (parentId is { Length: > 0 } && parentId != caller.TaskId)
        {
            throw DomainException.Forbidden(
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
        var locked = await TaskRows.LockSharedAsync(tx, caller.OwnerId, taskId, cancellationToken)
                     ?? throw DomainException.NotFound("task", Validate.Truncate(taskId));
        if (caller.IsWorker && locked.Epoch != caller.Epoch)
        {
            throw DomainException.StaleEpoch(caller.Epoch, locked.Epoch);
        }

        return await TaskRows.GetAsync(tx.Scope, caller.OwnerId, taskId, now, cancellationToken)
               ?? throw DomainException.NotFound("task", Validate.Truncate(taskId));
    }
}
