using Microsoft.Extensions.Logging;

namespace AgentKanban.Agents.Copilot;

/// <summary>Log messages of the Copilot runtime (event ids 3700–3709).</summary>
internal static partial class CopilotLog
{
    [LoggerMessage(EventId = 3700, Level = LogLevel.Warning, Message = "Could not read Copilot's session log {File}: its usage is not counted")]
    public static partial void UsageUnreadable(ILogger logger, Exception exception, string file);
}
