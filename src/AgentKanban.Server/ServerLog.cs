using Microsoft.Extensions.Logging;

namespace AgentKanban.Server;

/// <summary>The server's log messages, with fixed event ids (no secrets in any of them).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1001, LogLevel.Error, "Unhandled error on {Method} {Path}")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(1002, LogLevel.Information, "Storage ready: {Kind}, schema migrated")]
    public static partial void StorageReady(ILogger logger, string kind);

    [LoggerMessage(1003, LogLevel.Information, "Created the admin user; its token is in {Path}")]
    public static partial void AdminCreated(ILogger logger, string path);

    [LoggerMessage(1004, LogLevel.Information, "Lease sweep: {Returned} in-progress task(s) returned to todo, {Cleared} todo lease(s) cleared")]
    public static partial void LeasesSwept(ILogger logger, int returned, int cleared);

    [LoggerMessage(1007, LogLevel.Information, "Lease grace ({Why}): {Count} lease(s) extended by {Ttl} so their machines can heartbeat again")]
    public static partial void LeasesGivenGrace(ILogger logger, string why, int count, TimeSpan ttl);

    [LoggerMessage(1050, LogLevel.Warning, "Database not answering on {Method} {Path}: {Error}; answered 503")]
    public static partial void StorageUnavailable(ILogger logger, string method, string path, string error);

    [LoggerMessage(1005, LogLevel.Warning, "Lease sweep failed; retrying at the next tick")]
    public static partial void LeaseSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(1008, LogLevel.Warning, "Pruning old stream events failed; retrying at the next tick")]
    public static partial void EventPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(1009, LogLevel.Information, "Pruned {Count} stream event(s) older than {Retention}")]
    public static partial void EventsPruned(ILogger logger, int count, TimeSpan retention);

    [LoggerMessage(1006, LogLevel.Warning, "Cleaning old idempotency keys failed; retrying at the next tick")]
    public static partial void IdempotencyCleanupFailed(ILogger logger, Exception exception);
}
