namespace AgentKanban.Daemon.Setup;

/// <summary>The daemon cannot start (no credentials, unreadable config, registration refused): a message for the user.</summary>
public sealed class DaemonSetupException : Exception
{
    public DaemonSetupException()
    {
    }

    public DaemonSetupException(string message)
        : base(message)
    {
    }

    public DaemonSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
