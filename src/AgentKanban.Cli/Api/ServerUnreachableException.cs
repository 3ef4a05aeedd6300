namespace AgentKanban.Cli.Api;

/// <summary>No answer at all from the server (refused, DNS, timeout): says which URL was tried.</summary>
public sealed class ServerUnreachableException : CliFailureException
{
    public ServerUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ServerUnreachableException(string message)
        : base(message)
    {
    }

    public ServerUnreachableException()
    {
    }
}
