using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

// 49xx: a session starting a new conversation after the runtime lost the one it was to continue.
internal static partial class DaemonLog
{
    [LoggerMessage(EventId = 4900, Level = LogLevel.Warning, Message = "Session {SessionId}: the runtime has no conversation {LostId} to continue; starting a new one ({NewId}) told what happened on the task so far")]
    public static partial void StartingFresh(ILogger logger, string sessionId, string lostId, string newId);

    [LoggerMessage(EventId = 4901, Level = LogLevel.Warning, Message = "Session {SessionId}: what happened on the task so far could not be read ({Error}); the new conversation starts from the task alone")]
    public static partial void TaskHistoryUnavailable(ILogger logger, string sessionId, string error);
}
