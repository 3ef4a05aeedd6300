using AgentKanban.Daemon.Git;

namespace AgentKanban.Daemon.Workspaces;

/// <summary>A workspace could not be prepared or removed; <see cref="Git"/> carries git's own message when git failed.</summary>
public sealed class WorkspaceException : Exception
{
    public WorkspaceException()
        : this("workspace operation failed")
    {
    }

    public WorkspaceException(string message)
        : this(message, null)
    {
    }

    public WorkspaceException(string message, Exception? innerException)
        : this(WorkspaceError.GitFailed, message, innerException)
    {
    }

    public WorkspaceException(WorkspaceError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public WorkspaceError Error { get; }

    public GitException? Git => InnerException as GitException;
}
