using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sandbox;

internal static partial class SandboxLog
{
    [LoggerMessage(EventId = 4860, Level = LogLevel.Information, Message = "Agent sandbox: {Description}")]
    public static partial void Ready(ILogger logger, string description);

    [LoggerMessage(EventId = 4861, Level = LogLevel.Error, Message = "Agent sandbox {Description}")]
    public static partial void Unavailable(ILogger logger, string description);

    [LoggerMessage(EventId = 4862, Level = LogLevel.Warning, Message = "Agent sandbox {Description}")]
    public static partial void OptedOut(ILogger logger, string description);
}
