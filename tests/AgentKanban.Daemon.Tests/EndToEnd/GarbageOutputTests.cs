using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>An agent that writes malformed JSON, binary and a 20 MB line, then exits or hangs: the daemon survives it.</summary>
public sealed class GarbageOutputTests
{
    [Fact]
    public async Task Garbage_then_exit_ends_the_session_with_a_reason_and_the_daemon_goes_on()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var bad = await env.CreateTaskAsync("talks garbage", "claim", "garbage", "exit 3");
        var daemon = await env.StartInProcessAsync();

        var ended = await Eventually.WaitAsync(async () =>
        {
            var all = await daemon.Sessions.ListByTaskAsync(bad.Id, CancellationToken.None);
            return all.FirstOrDefault(x => x.State is SessionState.Completing or SessionState.Closed);
        }, "the garbage session to end");
        Assert.Contains("exited with an error", ended.LastReason, StringComparison.Ordinal);

        // The claimed task went back to todo with the reason, and waits before another attempt.
        var released = await env.WaitForStatusAsync(bad.Id, "todo");
        Assert.Contains(released.Activity!, a => a.Action == "released" && a.Detail?.Contains("exited with an error", StringComparison.Ordinal) == true);

        // The daemon is fine: the next task runs to review.
        var good = await env.CreateTaskAsync("behaves");
        await env.WaitForStatusAsync(good.Id, "in_review");
    }

    [Fact]
    public async Task Garbage_then_hang_is_stopped_by_the_stall_watchdog_and_suspended_with_a_reason()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var options = env.Options() with { StallTimeout = TimeSpan.FromSeconds(3) };
        var bad = await env.CreateTaskAsync("talks garbage and hangs", "claim", "garbage", "hang");
        var daemon = await env.StartInProcessAsync(options);

        var suspended = await Eventually.WaitAsync(async () =>
        {
            var s = await daemon.Sessions.FindOpenByTaskAsync(bad.Id, CancellationToken.None);
            return s?.State == SessionState.Suspended ? s : null;
        }, "the hung session to be suspended");
        Assert.Contains("stalled", suspended.LastReason, StringComparison.Ordinal);
        Assert.NotNull(suspended.ResumeAfter);

        // The hung agent's whole process group is gone.
        var pid = Assert.Single(env.InvocationsFor(bad.Id)).Pid;
        await Eventually.TrueAsync(() => Task.FromResult(!TestProcesses.IsAlive(pid)), "the hung agent to be killed");
    }
}
