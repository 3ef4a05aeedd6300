namespace AgentKanban.Daemon.Git;

/// <summary>A git command that failed: the (redacted) command line, its exit code and the tail of its standard error.</summary>
public sealed class GitException : Exception
{
    public GitException()
        : this("git failed")
    {
    }

    public GitException(string message)
        : this(message, null)
    {
    }

    public GitException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Command = "git";
        StandardErrorTail = "";
    }

    internal GitException(GitFailureKind kind, string command, int exitCode, string standardErrorTail, Exception? innerException = null)
        : base(Describe(kind, command, exitCode, standardErrorTail), innerException)
    {
        Kind = kind;
        Command = command;
        ExitCode = exitCode;
        StandardErrorTail = standardErrorTail;
    }

    public GitFailureKind Kind { get; }

    /// <summary>"git …" with credentials removed from any URL.</summary>
    public string Command { get; }

    /// <summary>The process's exit status; -1 when it was killed or never started.</summary>
    public int ExitCode { get; } = -1;

    /// <summary>The last part of git's standard error (credentials removed).</summary>
    public string StandardErrorTail { get; }

    private static string Describe(GitFailureKind kind, string command, int exitCode, string stderr)
    {
        var what = kind switch
        {
            GitFailureKind.TimedOut => $"{command} timed out",
            GitFailureKind.NotStarted => $"{command} could not be started",
            _ => $"{command} failed with exit code {exitCode}",
        };
        var detail = stderr.Trim();
        return detail.Length == 0 ? what : $"{what}: {detail}";
    }
}
