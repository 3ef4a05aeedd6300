using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// Staged shutdown: the first SIGTERM stops taking work and lets each agent finish the tool call it is in, then
/// stops it; a second signal stops everything at once. Either way the session stays active and resumes next start.
/// </summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task First_signal_lets_the_agent_finish_its_current_step_and_the_next_start_resumes_it()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("interrupted politely", "claim", "say started", "tool-slow 3000", "say after the tool", "sleep 30000", "review", "result");
        var daemon = env.StartProcess(new Dictionary<string, string> { ["AK_TEST_DRAIN_MS"] = "30000" });
        await Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Messages?.Any(m => m.Content == "started") == true, "the agent to be in its tool call");

        daemon.Terminate();
        await daemon.WaitForExitAsync(new CancellationTokenSource(Eventually.DefaultTimeout).Token);

        Assert.Equal(0, daemon.ExitCode);
        Assert.Contains(env.Marks(), m => m.Mark == "tool-finished" && m.TaskId == task.Id);
        var session = Assert.Single(await StoreReader.SessionsAsync(env.StateDir));
        Assert.Equal(SessionState.Active, session.State);
        Assert.False(TestProcesses.IsAlive(env.InvocationsFor(task.Id)[0].Pid));

        env.StartProcess();
        await Eventually.TrueAsync(() => Task.FromResult(env.InvocationsFor(task.Id).Count == 2), "the session to resume");
        var resumed = env.InvocationsFor(task.Id)[1];
        Assert.True(resumed.Resume);
        Assert.Equal(Prompts.RestartResume, resumed.Prompt);
    }

    [Fact]
    public async Task Second_signal_stops_the_agent_at_once()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("interrupted hard", "claim", "say started", "tool-slow 60000", "review");
        var daemon = env.StartProcess(new Dictionary<string, string> { ["AK_TEST_DRAIN_MS"] = "120000" });
        await Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Messages?.Any(m => m.Content == "started") == true, "the agent to be in its tool call");

        daemon.Terminate();
        await Eventually.TrueAsync(() => Task.FromResult(daemon.Output.Contains("Shutting down", StringComparison.Ordinal)), "the first stage to begin");
        daemon.Terminate();
        await daemon.WaitForExitAsync(new CancellationTokenSource(Eventually.DefaultTimeout).Token);

        Assert.Equal(0, daemon.ExitCode);
        Assert.DoesNotContain(env.Marks(), m => m.Mark == "tool-finished");
        Assert.False(TestProcesses.IsAlive(env.InvocationsFor(task.Id)[0].Pid));
        Assert.Equal(SessionState.Active, Assert.Single(await StoreReader.SessionsAsync(env.StateDir)).State);
    }
}
