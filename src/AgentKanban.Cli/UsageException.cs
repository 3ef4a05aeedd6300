namespace AgentKanban.Cli;

/// <summary>The command line itself is wrong (exit 2): a bad value the parser could not catch on its own.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UsageException()
    {
    }
}
