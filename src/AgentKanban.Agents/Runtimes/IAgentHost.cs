using AgentKanban.Agents.Process;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Agents.Runtimes;

/// <summary>
/// Where runtimes start their processes: the daemon's sandbox (or, with it off and in tests, the plain machine). A
/// runtime builds the process options; the host decides what the process may see.
/// </summary>
public interface IAgentHost
{
    TimeProvider TimeProvider { get; }

    ILogger Logger { get; }

    /// <summary>Starts the process as the host runs agents; throws <see cref="AgentLaunchException"/> when it cannot.</summary>
    AgentProcess Spawn(AgentProcessOptions options);

    /// <summary>How the agent itself ended, seen through whatever wraps it.</summary>
    ProcessExit AgentExit(ProcessExit exit);

    /// <summary>The run in <paramref name="workingDirectory"/> is over: what the host made for it goes.</summary>
    void Release(string workingDirectory);
}

/// <summary>Runs agents as the current user with its view of the machine (no sandbox).</summary>
public sealed class DirectAgentHost(TimeProvider timeProvider, ILogger logger) : IAgentHost
{
    public TimeProvider TimeProvider => timeProvider;

    public ILogger Logger => logger;

    public AgentProcess Spawn(AgentProcessOptions options)
    {
        try
        {
            return AgentProcess.Start(options, timeProvider, logger);
        }
        catch (AgentProcessStartException e)
        {
            throw new AgentLaunchException(e.Message, e);
        }
    }

    public ProcessExit AgentExit(ProcessExit exit) => exit;

    public void Release(string workingDirectory)
    {
    }
}
