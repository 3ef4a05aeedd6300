using Microsoft.Extensions.Logging;

namespace AgentKanban.Agents.Process;

/// <summary>Log messages of the process runner (event ids 3100–3199).</summary>
internal static partial class ProcessLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "Started {Executable} as pid {Pid} (own process group) in {WorkingDirectory}")]
    public static partial void Started(ILogger logger, string executable, int pid, string workingDirectory);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Process {Pid} ended: {Exit}")]
    public static partial void Exited(ILogger logger, int pid, ProcessExit exit);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Stopping process group {Pid} with SIGTERM (grace {Grace})")]
    public static partial void Stopping(ILogger logger, int pid, TimeSpan grace);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Process group {Pid} still running after the grace period: sent SIGKILL")]
    public static partial void Escalated(ILogger logger, int pid);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Process {Pid} exited but its output stayed open for {Timeout} (a helper holds the pipe): killed the rest of its group")]
    public static partial void KilledLingering(ILogger logger, int pid, TimeSpan timeout);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Process {Pid}: output still open after killing its group (a helper left the group): stopped reading")]
    public static partial void Abandoned(ILogger logger, int pid);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Error, Message = "Process {Pid}: reading its output failed")]
    public static partial void ReadFailed(ILogger logger, int pid, Exception exception);
}
