namespace AgentKanban.Agents.Runtimes;

/// <summary>An agent process could not be started (bad arguments, missing executable, no sandbox, …).</summary>
public sealed class AgentLaunchException : Exception
{
    public AgentLaunchException()
    {
    }

    public AgentLaunchException(string message)
        : base(message)
    {
    }

    public AgentLaunchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
