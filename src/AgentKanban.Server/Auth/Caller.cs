using AgentKanban.Core.Tasks;

namespace AgentKanban.Server.Auth;

public enum CallerKind
{
    User,
    Machine,
    Session,
}

/// <summary>
/// Who sent the request, resolved from its bearer token. <see cref="OwnerId"/> scopes everything it may see: a
/// user owns itself; a machine and its sessions belong to the user that registered the machine.
/// </summary>
public sealed record Caller
{
    public required CallerKind Kind { get; init; }

    /// <summary>Role in the task transition table (a session's role is its agent's kind).</summary>
    public required ActorRole Role { get; init; }

    public required string OwnerId { get; init; }

    /// <summary>The user, machine or session id (by <see cref="Kind"/>).</summary>
    public required string Id { get; init; }

    public string? Name { get; init; }

    public bool IsAdmin { get; init; }

    /// <summary>Authenticated by the web board's session cookie (not a bearer token): mutations need the CSRF check.</summary>
    public bool ViaBrowserSession { get; init; }

    /// <summary>The machine (a machine caller, or the machine that opened a session).</summary>
    public string? MachineId { get; init; }

    public string? SessionId { get; init; }

    public string? AgentId { get; init; }

    /// <summary>The task a session was opened for (a worker may touch only this one).</summary>
    public string? TaskId { get; init; }

    /// <summary>The task epoch a session was opened with.</summary>
    public long Epoch { get; init; }

    /// <summary>Written to the activity log as the actor: user id, machine id or the session's agent id.</summary>
    public string ActorId => Kind switch
    {
        CallerKind.Machine => MachineId ?? Id,
        CallerKind.Session => AgentId ?? Id,
        _ => Id,
    };

    /// <summary>Scope of idempotency keys: one key space per identity.</summary>
    public string IdentityKey => Kind switch
    {
        CallerKind.User => "user:" + Id,
        CallerKind.Machine => "machine:" + Id,
        _ => "session:" + Id,
    };

    public bool IsWorker => Role == ActorRole.Worker;
}
