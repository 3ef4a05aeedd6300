using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Tests.Dispatch;

public sealed class DispatchRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly AgentDto Worker = new() { Id = "a1", Username = "w", Kind = "worker", Runtime = "claude" };

    private static TaskDto Todo(Func<TaskDto, TaskDto>? change = null)
    {
        var task = new TaskDto { Id = "t1", BoardId = "b", Status = "todo", Title = "x", AssignedTo = "a1" };
        return change is null ? task : change(task);
    }

    private static DispatchFacts Facts(Func<DispatchFacts, DispatchFacts>? change = null)
    {
        var facts = new DispatchFacts(
            "m1", "box", Now,
            RuntimeInstalled: _ => true,
            RuntimeSupported: _ => true,
            ActivePause: _ => null,
            Breaker: _ => new CircuitCheck(DispatchPermission.Allowed, null),
            RunningOnRuntime: _ => 0,
            RunningTotal: 0,
            MaxPerRuntime: 2,
            MaxTotal: 3,
            Backoff: _ => null,
            HeldHere: _ => false);
        return change is null ? facts : change(facts);
    }

    [Fact]
    public void Eligible_task_is_dispatched() =>
        Assert.Equal(EligibilityVerdict.Dispatch, DispatchRules.Decide(Todo(), Worker, Facts()).Verdict);

    public static TheoryData<string, Func<TaskDto, TaskDto>?, Func<DispatchFacts, DispatchFacts>?, string> Skips => new()
    {
        { "unassigned", t => t with { AssignedTo = null }, null, "not assigned" },
        { "blocked", t => t with { Blocked = true, DependsOn = ["t0"] }, null, "blocked by unfinished dependencies (t0)" },
        { "scheduled", t => t with { ScheduledAt = Now.AddHours(1) }, null, "scheduled for 2026-03-01T09:00:00Z" },
        { "missing runtime", null, f => f with { RuntimeInstalled = _ => false }, "runtime claude is not installed on machine box" },
        { "unsupported runtime", null, f => f with { RuntimeSupported = _ => false }, "not supported by the daemon" },
        { "no sandbox", null, f => f with { AgentsRefused = "agents need a sandbox (refused)" }, "machine box runs no agents: agents need a sandbox (refused)" },
        {
            "paused", null,
            f => f with { ActivePause = r => new StoredPause(r, new RuntimePause(Now.AddMinutes(30), PauseSource.ProviderReset, Now), "limit") },
            "runtime claude is paused by a rate limit until 2026-03-01T08:30:00Z"
        },
        { "circuit open", null, f => f with { Breaker = _ => new CircuitCheck(DispatchPermission.Denied, Now.AddMinutes(20)) }, "circuit open" },
        { "backing off", null, f => f with { Backoff = _ => new TaskBackoff(1, Now.AddMinutes(1), Now, "crashed") }, "after a failed attempt: crashed" },
        { "runtime cap", null, f => f with { RunningOnRuntime = _ => 2 }, "at capacity: 2 claude sessions" },
        { "machine cap", null, f => f with { RunningTotal = 3 }, "at capacity: 3 sessions" },
    };

    [Theory]
    [MemberData(nameof(Skips))]
    public void Every_skip_carries_its_reason(string why, Func<TaskDto, TaskDto>? task, Func<DispatchFacts, DispatchFacts>? facts, string expected)
    {
        var decision = DispatchRules.Decide(Todo(task), Worker, Facts(facts));

        Assert.Equal(EligibilityVerdict.Skip, decision.Verdict);
        Assert.Contains(expected, decision.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(why);
    }

    [Fact]
    public void Scheduled_time_equal_to_now_is_eligible() =>
        Assert.Equal(EligibilityVerdict.Dispatch, DispatchRules.Decide(Todo(t => t with { ScheduledAt = Now }), Worker, Facts()).Verdict);

    [Fact]
    public void Task_leased_by_another_machine_or_held_here_is_none_of_our_business()
    {
        var leased = Todo(t => t with { Lease = new TaskLeaseDto("m2", 3, Now.AddMinutes(2)) });
        Assert.Equal(EligibilityVerdict.Ignore, DispatchRules.Decide(leased, Worker, Facts()).Verdict);
        Assert.Equal(EligibilityVerdict.Ignore, DispatchRules.Decide(Todo(), Worker, Facts(f => f with { HeldHere = _ => true })).Verdict);

        var expired = Todo(t => t with { Lease = new TaskLeaseDto("m2", 3, Now.AddSeconds(-1)) });
        Assert.Equal(EligibilityVerdict.Dispatch, DispatchRules.Decide(expired, Worker, Facts()).Verdict);
    }

    [Fact]
    public void Half_open_circuit_dispatches_one_probe()
    {
        var decision = DispatchRules.Decide(Todo(), Worker, Facts(f => f with { Breaker = _ => new CircuitCheck(DispatchPermission.AllowedAsProbe, null) }));

        Assert.Equal(EligibilityVerdict.Dispatch, decision.Verdict);
        Assert.True(decision.AsProbe);
    }
}
