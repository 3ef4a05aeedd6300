using System.Collections.Concurrent;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Sessions;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Dispatch;

/// <summary>What a dispatch pass did, and when something it skipped may become eligible by itself.</summary>
public readonly record struct DispatchPass(int Started, DateTimeOffset? NextEligibleAt);

/// <summary>
/// One pass over the owner's todo tasks: each is decided by <see cref="DispatchRules"/>; eligible ones are
/// prepared in the background (no head-of-line blocking: one task's slow or failing preparation never holds up
/// the others); every skip records its reason and reports it when it changed.
/// </summary>
public sealed class Dispatcher(
    BoardApiClient api,
    SessionStore sessions,
    OutboxStore outboxStore,
    OutboxDeliverer outbox,
    TaskNotesStore notes,
    AgentAdmission admission,
    SessionStarter starter,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<Dispatcher> logger)
{
    private static readonly TimeSpan AgentCacheLifetime = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, Task> _inFlight = new(StringComparer.Ordinal);
    private Dictionary<string, AgentDto> _agents = new(StringComparer.Ordinal);
    private DateTimeOffset _agentsFetchedAt = DateTimeOffset.MinValue;

    /// <summary>A background preparation ended (the loop re-plans: the slot may be free again).</summary>
    public event Action? PreparationEnded;

    public int InFlight => _inFlight.Count;

    /// <summary>A dispatch of this task is under way (leased or about to be, its session maybe not stored yet).</summary>
    public bool IsInFlight(string taskId) => _inFlight.ContainsKey(taskId);

    public async Task<DispatchPass> RunPassAsync(CancellationToken stopping)
    {
        if (!admission.Leases.MayRun)
        {
            // Self-fenced: the server has not confirmed this machine's leases lately, so nothing new starts here.
            return default;
        }

        var tasks = await api.ListTasksAsync("status=todo", stopping);
        var agents = await AgentsAsync(tasks, stopping);
        var held = await sessions.OpenTaskIdsAsync(stopping);
        var pendingReports = await outboxStore.TasksWithPendingReportsAsync(stopping);
        var backoffs = await notes.AllBackoffsAsync(stopping);
        var now = timeProvider.GetUtcNow();
        DateTimeOffset? nextEligible = null;
        var reasons = new List<(string TaskId, string Reason)>();
        var started = 0;

        // Per-pass counts on top of the reservations, so one pass never promises more slots than there are.
        var facts = new DispatchFacts(
            context.MachineId,
            context.MachineName,
            now,
            context.Runtimes.IsInstalled,
            RuntimeCatalog.IsSupported,
            admission.Runtimes.ActivePause,
            admission.Runtimes.CheckBreaker,
            admission.Slots.Running,
            0,
            context.Options.MaxConcurrentPerRuntime,
            context.Options.MaxConcurrent,
            id => backoffs.GetValueOrDefault(id),
            id => held.Contains(id) || _inFlight.ContainsKey(id) || pendingReports.Contains(id),
            context.AgentsRefused);

        foreach (var task in tasks)
        {
            var agent = task.AssignedTo is { } assignee ? agents.GetValueOrDefault(assignee) : null;
            var decision = DispatchRules.Decide(task, agent, facts with { RunningTotal = admission.Slots.RunningTotal });
            switch (decision.Verdict)
            {
                case EligibilityVerdict.Dispatch when admission.Slots.TryReserve(agent!.Runtime) is { } reservation:
                    Begin(task, agent, reservation, decision.AsProbe, stopping);
                    started++;
                    break;
                case EligibilityVerdict.Skip:
                    reasons.Add((task.Id, decision.Reason!));
                    nextEligible = Earliest(nextEligible, EligibleAgainAt(task, backoffs.GetValueOrDefault(task.Id), now));
                    break;
            }
        }

        if (reasons.Count > 0)
        {
            await RecordReasonsAsync(reasons, now, stopping);
        }

        return new DispatchPass(started, nextEligible);
    }

    /// <summary>Waits for dispatches in flight (shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_inFlight.Values);

    private void Begin(TaskDto task, AgentDto agent, IDisposable reservation, bool asProbe, CancellationToken stopping)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _inFlight[task.Id] = gate.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await starter.StartNewAsync(task, agent, asProbe, stopping);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                // Whatever was stored is continued by the reconcile pass; this task is tried again on a later pass.
                DaemonLog.PrepareFailed(logger, "-", task.Id, "unexpected", e.Message);
            }
            finally
            {
                reservation.Dispose();
                _inFlight.TryRemove(task.Id, out _);
                gate.TrySetResult();
                PreparationEnded?.Invoke();
            }
        }, CancellationToken.None);
    }

    private async Task RecordReasonsAsync(List<(string TaskId, string Reason)> reasons, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var changed = await sessions.Database.TransactAsync(now, async tx =>
        {
            var list = new List<(string, string)>();
            foreach (var (taskId, reason) in reasons)
            {
                if (await tx.SetWhyAsync(taskId, reason, cancellationToken))
                {
                    list.Add((taskId, reason));
                }
            }

            return list;
        }, cancellationToken);

        foreach (var (taskId, reason) in changed)
        {
            DaemonLog.Skipped(logger, taskId, reason);
        }

        if (changed.Count > 0)
        {
            outbox.Wake();
        }
    }

    /// <summary>The assignees of these tasks, from a cache refreshed every minute or when an unknown agent shows up.</summary>
    private async Task<Dictionary<string, AgentDto>> AgentsAsync(List<TaskDto> tasks, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var unknown = tasks.Any(t => t.AssignedTo is { } a && !_agents.ContainsKey(a));
        if (unknown || now - _agentsFetchedAt > AgentCacheLifetime)
        {
            var list = await api.ListAgentsAsync(cancellationToken);
            var byId = new Dictionary<string, AgentDto>(StringComparer.Ordinal);
            foreach (var agent in list)
            {
                byId[agent.Id] = agent;
                byId.TryAdd(agent.Username, agent);
            }

            _agents = byId;
            _agentsFetchedAt = now;
        }

        return _agents;
    }

    private static DateTimeOffset? EligibleAgainAt(TaskDto task, TaskBackoff? backoff, DateTimeOffset now)
    {
        DateTimeOffset? at = null;
        if (task.ScheduledAt is { } scheduled && scheduled > now)
        {
            at = scheduled;
        }

        if (backoff is not null && backoff.NotBefore > now)
        {
            at = Earliest(at, backoff.NotBefore);
        }

        return at;
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;
}
