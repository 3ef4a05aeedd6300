using AgentKanban.Cli.Output;
using AgentKanban.Cli.Tests.Infrastructure;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Tests.Output;

public sealed class WhyExplainerTests
{
    private static readonly DateTimeOffset Now = new(2025, 5, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly AgentDto Claude = new() { Id = "a1", Username = "claude-1", Kind = "worker", Runtime = "claude" };

    private static TaskDto Todo() => Samples.Task() with { Blocked = false, DependsOn = [], ScheduledAt = null };

    private static MachineDto Machine(string status, params RuntimeStatusDto[] runtimes) =>
        new() { Id = "m1", Name = "laptop", Status = status, Runtimes = runtimes };

    private static IReadOnlyList<string> Reasons(TaskDto task, AgentDto? agent = null, IReadOnlyList<MachineDto>? machines = null, params TaskDto[] deps) =>
        WhyExplainer.Explain(task, new WhyFacts(deps, agent, machines), Now).Reasons;

    [Fact]
    public void Blocked_by_names_the_unfinished_dependencies()
    {
        var reasons = Reasons(Todo() with { Blocked = true, DependsOn = ["d1", "d2"] }, Claude, [],
            Samples.Task("d1", "Build API") with { Status = "in_progress" }, Samples.Task("d2", "Old") with { Status = "done" });

        Assert.Equal("blocked by d1 (in_progress: Build API)", reasons[0]);
    }

    [Fact]
    public void Scheduled_in_the_future()
    {
        var reasons = Reasons(Todo() with { ScheduledAt = Now.AddHours(2) }, Claude, []);

        Assert.Equal("scheduled for 2025-05-02 14:00:00Z (in 2h)", Assert.Single(reasons));
    }

    [Fact]
    public void A_past_schedule_is_not_a_reason()
    {
        Assert.DoesNotContain(Reasons(Todo() with { ScheduledAt = Now.AddHours(-2) }, Claude, []), r => r.StartsWith("scheduled", StringComparison.Ordinal));
    }

    [Fact]
    public void Unassigned()
    {
        Assert.StartsWith("not assigned to an agent", Reasons(Todo() with { AssignedTo = null })[0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_daemons_stored_reason_is_shown_with_its_time()
    {
        var reasons = Reasons(Todo() with { Why = "runtime claude paused until 13:00 (rate limit)", WhyAt = Now.AddMinutes(-1) }, Claude, []);

        Assert.Equal("runtime claude paused until 13:00 (rate limit) (reported 2025-05-02 11:59:00Z)", Assert.Single(reasons));
    }

    [Fact]
    public void Waiting_for_a_machine_explains_what_is_missing()
    {
        Assert.Contains("none is registered", Reasons(Todo(), Claude, [])[0], StringComparison.Ordinal);
        Assert.Contains("none of the 1 registered is online", Reasons(Todo(), Claude, [Machine("offline")])[0], StringComparison.Ordinal);
        Assert.Contains("no online machine has claude", Reasons(Todo(), Claude, [Machine("online", new RuntimeStatusDto("codex", "ready"))])[0], StringComparison.Ordinal);
        Assert.Contains("claude is not ready anywhere (laptop: limited until 2025-05-02 13:00:00Z)",
            Reasons(Todo(), Claude, [Machine("online", new RuntimeStatusDto("claude", "limited", ResetAt: Now.AddHours(1)))])[0], StringComparison.Ordinal);
        Assert.Equal("waiting for a machine to pick it up (1 online with claude ready)",
            Reasons(Todo(), Claude, [Machine("online", new RuntimeStatusDto("claude", "ready"))])[0]);
    }

    [Fact]
    public void Running_reviewing_and_finished_tasks()
    {
        var running = Samples.Task() with { Status = "in_progress", ActiveSessionId = "s1", Lease = new TaskLeaseDto("m1", 3, Now.AddMinutes(5)) };
        Assert.Equal("in progress by agent claude-1 on machine laptop (m1) (session s1)",
            Reasons(running, Claude, [Machine("online")])[0]);
        Assert.StartsWith("in review (https://example.com/pr/1)",
            Reasons(Samples.Task() with { Status = "in_review", PrUrl = "https://example.com/pr/1" })[0], StringComparison.Ordinal);
        Assert.StartsWith("done", Reasons(Samples.Task() with { Status = "done" })[0], StringComparison.Ordinal);
        Assert.StartsWith("cancelled", Reasons(Samples.Task() with { Status = "cancelled" })[0], StringComparison.Ordinal);
    }
}
