using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The event types of the log and the records that carry them.</summary>
public static class ServerEvents
{
    public const string TaskCreated = "task.created";
    public const string TaskUpdated = "task.updated";
    public const string TaskDeleted = "task.deleted";
    public const string TaskActivity = "task.activity";
    public const string TaskMessage = "task.message";
    public const string MachineUpdated = "machine.updated";
    public const string SessionUpdated = "session.updated";
    public const string AgentEvent = "agent.event";

    /// <summary>A task event; <c>machine_id</c> is the lease holder (if any), <c>agent_id</c> the assignee.</summary>
    public static EventRecord Task(string type, string ownerId, TaskDto task, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new EventRecord(ownerId, task.BoardId, task.Id, task.Lease?.MachineId, task.AssignedTo,
            new ServerEventDto { Type = type, BoardId = task.BoardId, TaskId = task.Id, MachineId = task.Lease?.MachineId, CreatedAt = now, Task = task });
    }

    public static EventRecord Activity(string ownerId, TaskDto task, ActivityDto activity)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(activity);
        return new EventRecord(ownerId, task.BoardId, task.Id, task.Lease?.MachineId, task.AssignedTo,
            new ServerEventDto
            {
                Type = TaskActivity, BoardId = task.BoardId, TaskId = task.Id, MachineId = task.Lease?.MachineId,
                CreatedAt = activity.CreatedAt, Activity = activity,
            });
    }

    public static EventRecord Message(string ownerId, TaskDto task, MessageDto message)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(message);
        return new EventRecord(ownerId, task.BoardId, task.Id, task.Lease?.MachineId, task.AssignedTo,
            new ServerEventDto
            {
                Type = TaskMessage, BoardId = task.BoardId, TaskId = task.Id, MachineId = task.Lease?.MachineId,
                CreatedAt = message.CreatedAt, Message = message,
            });
    }

    public static EventRecord Machine(string ownerId, MachineDto machine, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(machine);
        return new EventRecord(ownerId, null, null, machine.Id, null,
            new ServerEventDto { Type = MachineUpdated, MachineId = machine.Id, CreatedAt = now, Machine = machine });
    }

    public static EventRecord Session(string ownerId, SessionDto session, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new EventRecord(ownerId, null, session.TaskId, session.MachineId, session.AgentId,
            new ServerEventDto { Type = SessionUpdated, TaskId = session.TaskId, MachineId = session.MachineId, CreatedAt = now, Session = session });
    }
}
