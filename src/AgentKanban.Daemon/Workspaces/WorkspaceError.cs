namespace AgentKanban.Daemon.Workspaces;

public enum WorkspaceError
{
    /// <summary>The repository could not be cloned or fetched (missing, unreachable, needs credentials).</summary>
    RepositoryUnavailable,

    /// <summary>The repository has no branch to start from.</summary>
    EmptyRepository,

    /// <summary>The requested base branch, tag or commit is not in the repository.</summary>
    BaseNotFound,

    /// <summary>The session's path or branch is held by something else; nothing was touched.</summary>
    Conflict,

    /// <summary>Another git step failed.</summary>
    GitFailed,
}
