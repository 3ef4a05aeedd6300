namespace AgentKanban.Agents.Runtimes;

/// <summary>What a runtime's own check found: whether it can authenticate, and why not.</summary>
public readonly record struct RuntimeAvailability(bool Authorized, string? Detail)
{
    public static RuntimeAvailability Ready { get; } = new(true, null);

    public static RuntimeAvailability Unauthorized(string detail) => new(false, detail);
}
