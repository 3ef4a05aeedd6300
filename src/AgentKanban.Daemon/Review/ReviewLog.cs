using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Review;

/// <summary>The review monitor's log messages (51xx). No secrets: URLs are shown redacted.</summary>
internal static partial class ReviewLog
{
    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Review: watching {Count} more task(s) in review")]
    public static partial void Tracked(ILogger logger, int count);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Review: task {TaskId} → {Action}: {Detail}")]
    public static partial void Settled(ILogger logger, string taskId, string action, string detail);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Review: task {TaskId} is {Status}; no longer watched")]
    public static partial void Untracked(ILogger logger, string taskId, string status);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Review: task {TaskId} could not be checked ({Failures} in a row); next try at {Next}: {Reason}")]
    public static partial void CheckFailed(ILogger logger, string taskId, int failures, DateTimeOffset next, string reason);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "Review: GitHub rate limit hit checking task {TaskId}; no GitHub checks until {Until}")]
    public static partial void RateLimited(ILogger logger, string taskId, DateTimeOffset until);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Warning, Message = "Review: telling the server task {TaskId} is {Action} failed: {Reason}")]
    public static partial void SettleFailed(ILogger logger, string taskId, string action, string reason);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Error, Message = "Review: monitor pass failed; retrying")]
    public static partial void PassFailed(ILogger logger, Exception error);
}
