using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Relay;

/// <summary>Log messages of the live agent-event relay (48xx). No secrets, no event contents.</summary>
internal static partial class RelayLog
{
    [LoggerMessage(EventId = 4801, Level = LogLevel.Warning, Message = "Agent events of session {SessionId}: buffer full, dropped {Dropped} oldest ({Total} so far)")]
    public static partial void Dropped(ILogger logger, string sessionId, long dropped, long total);

    [LoggerMessage(EventId = 4802, Level = LogLevel.Warning, Message = "Agent events of session {SessionId}: sending {Count} failed (attempt {Attempt}), retrying in {Delay}: {Error}")]
    public static partial void SendFailed(ILogger logger, string sessionId, int count, int attempt, TimeSpan delay, string error);

    [LoggerMessage(EventId = 4803, Level = LogLevel.Warning, Message = "Agent events of session {SessionId}: the server refused a batch of {Count} ({Status}): {Error}")]
    public static partial void Refused(ILogger logger, string sessionId, int count, int? status, string error);

    [LoggerMessage(EventId = 4804, Level = LogLevel.Warning, Message = "Agent events of session {SessionId}: the server no longer takes them ({Status}); relaying stopped for this run")]
    public static partial void Stopped(ILogger logger, string sessionId, int? status);

    [LoggerMessage(EventId = 4805, Level = LogLevel.Warning, Message = "Agent events of session {SessionId}: {Count} not delivered when the run ended (final flush timed out)")]
    public static partial void Abandoned(ILogger logger, string sessionId, long count);

    [LoggerMessage(EventId = 4806, Level = LogLevel.Warning, Message = "Agent events of session {SessionId}: relay failed; retrying")]
    public static partial void LoopFailed(ILogger logger, string sessionId, Exception error);
}
