using System.Globalization;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Tasks;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Dispatch;

public enum EligibilityVerdict
{
    /// <summary>Lease it and run it.</summary>
    Dispatch,
    /// <summary>Not now; the reason is recorded and reported (when it changed).</summary>
    Skip,
    /// <summary>Not this machine's business (a leader's task, held by another machine, already ours): no reason recorded.</summary>
    Ignore,
}

/// <param name="AsProbe">The runtime's circuit is half-open and this dispatch is its single probe.</param>
public readonly record struct Eligibility(EligibilityVerdict Verdict, string? Reason, bool AsProbe = false)
{
    public static Eligibility Go(bool asProbe = false) => new(EligibilityVerdict.Dispatch, null, asProbe);

    public static Eligibility Skip(string reason) => new(EligibilityVerdict.Skip, reason);

    public static Eligibility Ignore(string reason) => new(EligibilityVerdict.Ignore, reason);
}

/// <summary>What the dispatch decision needs to know about this machine right now.</summary>
/// <param name="AgentsRefused">Why no agent may start here at all (no sandbox), or null.</param>
public sealed record DispatchFacts(
    string MachineId,
    string MachineName,
    DateTimeOffset Now,
    Func<string, bool> RuntimeInstalled,
    Func<string, bool> RuntimeSupported,
    Func<string, StoredPause?> ActivePause,
    Func<string, CircuitCheck> Breaker,
    Func<string, int> RunningOnRuntime,
    int RunningTotal,
    int MaxPerRuntime,
    int MaxTotal,
    Func<string, TaskBackoff?> Backoff,
    Func<string, bool> HeldHere,
    string? AgentsRefused = null);

/// <summary>
/// The dispatch rules as one pure function: a todo task goes to this machine when it is unblocked,
/// assigned to a worker whose runtime is installed and supported here, its scheduled time has passed,
/// the runtime is not paused, its circuit is not open, it is not backing off after a failure, and the
/// per-runtime and machine caps leave room. Every "no" carries the sentence <c>ak why</c> prints.
/// </summary>
public static class DispatchRules
{
    public static Eligibility Decide(TaskDto task, AgentDto? agent, DispatchFacts facts)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(facts);
        if (task.Status != TaskStatusNames.Todo)
        {
            return Eligibility.Ignore("not todo");
        }

        if (facts.HeldHere(task.Id))
        {
            return Eligibility.Ignore("already has a session on this machine");
        }

        if (task.Lease is { } lease && lease.MachineId != facts.MachineId && lease.ExpiresAt > facts.Now)
        {
            return Eligibility.Ignore("leased by another machine");
        }

        if (task.AssignedTo is null)
        {
            return Eligibility.Skip("not assigned to an agent");
        }

        if (agent is null)
        {
            return Eligibility.Skip($"assigned to {task.AssignedTo}, which is not a known agent");
        }

        if (agent.Kind != "worker")
        {
            return Eligibility.Ignore("assigned to a leader (interactive) agent");
        }

        if (task.Blocked)
        {
            return Eligibility.Skip(task.DependsOn.Count > 0
                ? $"blocked by unfinished dependencies ({string.Join(", ", task.DependsOn)})"
                : "blocked by unfinished dependencies");
        }

        if (task.ScheduledAt is { } scheduled && scheduled > facts.Now)
        {
            return Eligibility.Skip($"scheduled for {Format(scheduled)}");
        }

        var runtime = agent.Runtime;
        if (!facts.RuntimeInstalled(runtime))
        {
            return Eligibility.Skip($"runtime {runtime} is not installed on machine {facts.MachineName}");
        }

        if (!facts.RuntimeSupported(runtime))
        {
            return Eligibility.Skip($"runtime {runtime} is not supported by the daemon on machine {facts.MachineName}");
        }

        if (facts.AgentsRefused is { } refused)
        {
            return Eligibility.Skip($"machine {facts.MachineName} runs no agents: {refused}");
        }

        if (facts.ActivePause(runtime) is { } pause)
        {
            return Eligibility.Skip($"runtime {runtime} is paused by a rate limit until {Format(pause.Pause.Until)}");
        }

        var breaker = facts.Breaker(runtime);
        if (!breaker.MayDispatch)
        {
            return Eligibility.Skip(breaker.RetryAt is { } retry
                ? $"runtime {runtime} is failing before its agents claim their tasks (circuit open); next try at {Format(retry)}"
                : $"runtime {runtime} is failing before its agents claim their tasks (circuit open)");
        }

        if (facts.Backoff(task.Id) is { } backoff && backoff.NotBefore > facts.Now)
        {
            return Eligibility.Skip($"retrying at {Format(backoff.NotBefore)} after a failed attempt: {backoff.Reason}");
        }

        if (facts.RunningOnRuntime(runtime) >= facts.MaxPerRuntime)
        {
            return Eligibility.Skip($"at capacity: {facts.MaxPerRuntime} {runtime} sessions already running on machine {facts.MachineName}");
        }

        if (facts.RunningTotal >= facts.MaxTotal)
        {
            return Eligibility.Skip($"at capacity: {facts.MaxTotal} sessions already running on machine {facts.MachineName}");
        }

        return Eligibility.Go(breaker.Permission == DispatchPermission.AllowedAsProbe);
    }

    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
