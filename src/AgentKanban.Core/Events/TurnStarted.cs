namespace AgentKanban.Core.Events;

/// <summary>
/// The agent began working on a prompt (first output after the prompt was handed over).
/// Carries no data, so one shared instance serves every turn.
/// </summary>
public sealed record TurnStarted : AgentEvent
{
    public static TurnStarted Instance { get; } = new();
}
