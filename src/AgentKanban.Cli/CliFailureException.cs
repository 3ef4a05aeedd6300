namespace AgentKanban.Cli;

/// <summary>A failure the user can act on (exit 1); the message is printed as <c>error: …</c>, never a stack trace.</summary>
public class CliFailureException : Exception
{
    public CliFailureException(string message)
        : base(message)
    {
    }

    public CliFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CliFailureException()
    {
    }
}
