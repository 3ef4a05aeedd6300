using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Workspaces;

internal static partial class WorkspaceLog
{
    [LoggerMessage(EventId = 3310, Level = LogLevel.Information, Message = "Cloned {Url} into mirror {Mirror}")]
    public static partial void MirrorCloned(ILogger logger, string url, string mirror);

    [LoggerMessage(EventId = 3311, Level = LogLevel.Debug, Message = "Fetched {Url} into mirror {Mirror}")]
    public static partial void MirrorFetched(ILogger logger, string url, string mirror);

    [LoggerMessage(EventId = 3312, Level = LogLevel.Debug, Message = "Mirror {Mirror} was fetched while we waited; not fetching again")]
    public static partial void MirrorFetchShared(ILogger logger, string mirror);

    [LoggerMessage(EventId = 3313, Level = LogLevel.Warning, Message = "Removed an unfinished clone {Path} (a crash interrupted it)")]
    public static partial void UnfinishedCloneRemoved(ILogger logger, string path);

    [LoggerMessage(EventId = 3314, Level = LogLevel.Warning, Message = "Removed stale lock {Path} left by a killed git")]
    public static partial void StaleLockRemoved(ILogger logger, string path);

    [LoggerMessage(EventId = 3315, Level = LogLevel.Information, Message = "Created worktree {Path} on {Branch} for session {SessionId}")]
    public static partial void WorktreeCreated(ILogger logger, string sessionId, string path, string branch);

    [LoggerMessage(EventId = 3316, Level = LogLevel.Information, Message = "Reusing worktree {Path} of session {SessionId} as it is")]
    public static partial void WorktreeReused(ILogger logger, string sessionId, string path);

    [LoggerMessage(EventId = 3317, Level = LogLevel.Warning, Message = "Discarding worktree {Path} of session {SessionId}: its creation was interrupted")]
    public static partial void IncompleteWorktreeDiscarded(ILogger logger, string sessionId, string path);

    [LoggerMessage(EventId = 3318, Level = LogLevel.Information, Message = "Saved uncommitted work of session {SessionId} as {Ref} ({Commit})")]
    public static partial void WipSaved(ILogger logger, string sessionId, string @ref, string commit);

    [LoggerMessage(EventId = 3319, Level = LogLevel.Information, Message = "Removed workspace {Path} of session {SessionId}")]
    public static partial void Removed(ILogger logger, string sessionId, string path);

    [LoggerMessage(EventId = 3320, Level = LogLevel.Warning, Message = "{Path} belongs to no mirror but holds files; moved it to {Kept} instead of deleting it")]
    public static partial void MovedToLostAndFound(ILogger logger, string path, string kept);

    [LoggerMessage(EventId = 3321, Level = LogLevel.Information, Message = "Created private workspace {Path} for session {SessionId}")]
    public static partial void OpsCreated(ILogger logger, string sessionId, string path);

    [LoggerMessage(EventId = 3322, Level = LogLevel.Information, Message = "Workspace sweep: {Trash} trash entries deleted, {Clones} unfinished clones removed, {Mirrors} mirrors pruned")]
    public static partial void Swept(ILogger logger, int trash, int clones, int mirrors);
}
