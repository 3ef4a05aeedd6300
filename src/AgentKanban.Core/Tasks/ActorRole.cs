namespace AgentKanban.Core.Tasks;

/// <summary>Who is acting on the board: a person, a machine daemon, or an agent session of either kind.</summary>
public enum ActorRole
{
    User,
    Machine,
    Worker,
    Leader,
}

public static class ActorRoleNames
{
    public static IReadOnlyList<ActorRole> All { get; } = [ActorRole.User, ActorRole.Machine, ActorRole.Worker, ActorRole.Leader];

    /// <summary>The actor type written to the activity log.</summary>
    public static string ToName(this ActorRole role) => role switch
    {
        ActorRole.User => "user",
        ActorRole.Machine => "machine",
        ActorRole.Worker => "agent:worker",
        ActorRole.Leader => "agent:leader",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };
}
