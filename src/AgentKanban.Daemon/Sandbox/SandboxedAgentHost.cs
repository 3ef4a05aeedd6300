using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sandbox;

/// <summary>The daemon's <see cref="IAgentHost"/>: every runtime's process starts inside <see cref="AgentSandbox"/>.</summary>
public sealed class SandboxedAgentHost(AgentSandbox sandbox, TimeProvider timeProvider, ILogger logger) : IAgentHost
{
    public TimeProvider TimeProvider => timeProvider;

    public ILogger Logger => logger;

    public bool Sandboxed => sandbox.Mode == SandboxMode.On;

    public AgentProcess Spawn(AgentProcessOptions options)
    {
        try
        {
            return AgentProcess.Start(sandbox.Wrap(options), timeProvider, logger);
        }
        catch (AgentProcessStartException e)
        {
            throw new AgentLaunchException(e.Message, e);
        }
        catch (IOException e)
        {
            // Making the sandbox's private temp dir failed.
            throw new AgentLaunchException(e.Message, e);
        }
    }

    public ProcessExit AgentExit(ProcessExit exit) => sandbox.AgentExit(exit);

    public void Release(string workingDirectory) => sandbox.Release(workingDirectory);
}
