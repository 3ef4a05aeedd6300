namespace AgentKanban.Daemon.Git;

public enum GitFailureKind
{
    /// <summary>git ran and exited with a non-zero status.</summary>
    ExitCode,

    /// <summary>git ran longer than the invocation's timeout and was killed.</summary>
    TimedOut,

    /// <summary>The git executable could not be started.</summary>
    NotStarted,
}
