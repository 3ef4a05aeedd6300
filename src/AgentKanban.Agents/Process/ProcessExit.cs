namespace AgentKanban.Agents.Process;

/// <summary>How a process ended: an exit code, or the signal that killed it.</summary>
public sealed record ProcessExit(int? ExitCode, int? Signal, bool CoreDumped)
{
    /// <summary>Someone else reaped the process (only possible if SIGCHLD was ignored when the daemon started).</summary>
    public static ProcessExit Unknown { get; } = new(null, null, false);

    public bool Succeeded => ExitCode == 0;

    /// <summary>Decodes a <c>waitpid</c> status word.</summary>
    public static ProcessExit FromWaitStatus(int status)
    {
        var low = status & 0x7f;
        if (low == 0)
        {
            return new ProcessExit((status >> 8) & 0xff, null, false);
        }

        return low != 0x7f ? new ProcessExit(null, low, (status & 0x80) != 0) : Unknown;
    }

    public override string ToString() => (ExitCode, Signal) switch
    {
        (_, { } signal) => $"killed by signal {signal}{(CoreDumped ? " (core dumped)" : "")}",
        ({ } code, _) => $"exit code {code}",
        _ => "exit status unknown",
    };
}

/// <summary>What a stop did.</summary>
/// <param name="Escalated">SIGTERM was not enough within the grace period: the group got SIGKILL.</param>
/// <param name="AlreadyExited">The main process had exited before the stop; only leftovers in its group were signalled.</param>
public sealed record StopResult(ProcessExit Exit, bool Escalated, bool AlreadyExited);

/// <summary>The process could not be started (missing executable, bad working directory, …).</summary>
public sealed class AgentProcessStartException : Exception
{
    public AgentProcessStartException()
    {
    }

    public AgentProcessStartException(string message)
        : base(message)
    {
    }

    public AgentProcessStartException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>The errno reported by the system, if any.</summary>
    public int ErrorNumber { get; init; }
}
