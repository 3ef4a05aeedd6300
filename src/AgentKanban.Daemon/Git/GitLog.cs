using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Git;

internal static partial class GitLog
{
    [LoggerMessage(EventId = 3300, Level = LogLevel.Debug, Message = "{Command} exited with {ExitCode} after {ElapsedMs} ms")]
    public static partial void Finished(ILogger logger, string command, int exitCode, long elapsedMs);

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning, Message = "{Command} was killed: {Reason}")]
    public static partial void Killed(ILogger logger, string command, string reason);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "{Command} exited but a process it started still holds its output; stopped reading")]
    public static partial void OutputAbandoned(ILogger logger, string command);
}
