using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>Restart recovery: what a restarted daemon does with each session the previous one left.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task Active_session_of_a_killed_daemon_is_resumed_in_place()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("long job", "claim", "say started", "sleep-fresh 60000", "say finishing", "review", "result");
        var first = env.StartProcess();
        await Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Messages?.Any(m => m.Content == "started") == true, "the agent to be under way");

        await first.KillHardAsync();
        var second = env.StartProcess();

        await env.WaitForStatusAsync(task.Id, "in_review");
        var runs = env.InvocationsFor(task.Id);
        Assert.Equal(2, runs.Count);
        Assert.False(runs[0].Resume);
        Assert.True(runs[1].Resume);
        Assert.Equal(runs[0].ProviderSessionId, runs[1].ProviderSessionId);
        Assert.Equal(runs[0].Cwd, runs[1].Cwd);
        Assert.Equal(runs[0].AkSessionId, runs[1].AkSessionId);
        Assert.Equal(Prompts.RestartResume, runs[1].Prompt);
        Assert.DoesNotContain(runs, r => r.Concurrent);
        Assert.False(TestProcesses.IsAlive(runs[0].Pid), "the first agent, orphaned by the kill, was stopped");
        Assert.Single(await StoreReader.SessionsAsync(env.StateDir));
        await Eventually.TrueAsync(() => Task.FromResult(second.Output.Contains("Recovery: 1 open sessions; resumed in place 1", StringComparison.Ordinal)),
            "the recovery summary in the log");
    }

    [Fact]
    public async Task Session_whose_task_was_cancelled_while_the_daemon_was_dead_is_cleaned_up_not_resumed()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("cancelled meanwhile", "claim", "say started", "sleep 60000", "review");
        var first = env.StartProcess();
        await Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Messages?.Any(m => m.Content == "started") == true, "the agent to be under way");
        await first.KillHardAsync();
        await env.Server.TransitionAsync(task.Id, "cancel");

        env.StartProcess();

        var closed = await Eventually.WaitAsync(async () =>
            (await StoreReader.SessionsAsync(env.StateDir)).FirstOrDefault(s => s.State == SessionState.Closed), "the session to be closed");
        Assert.Contains("cancelled", closed.LastReason, StringComparison.Ordinal);
        var run = Assert.Single(env.InvocationsFor(task.Id));
        Assert.False(TestProcesses.IsAlive(run.Pid), "the orphaned agent was stopped");
        Assert.False(Directory.Exists(run.Cwd), "the workspace was removed");
        Assert.All(await env.Server.SessionsAsync(task.Id), s => Assert.Equal("closed", s.Status));
    }

    [Fact]
    public async Task In_review_session_survives_a_restart_and_ends_when_its_task_is_done()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("to review");
        var first = await env.StartInProcessAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");
        var session = await Eventually.WaitAsync(async () =>
        {
            var s = await first.Sessions.FindOpenByTaskAsync(task.Id, CancellationToken.None);
            return s?.State == SessionState.InReview ? s : null;
        }, "the session to be in review");
        await env.StopInProcessAsync(first);

        var second = await env.StartInProcessAsync();
        var kept = (await second.Sessions.GetAsync(session.Id, CancellationToken.None))!;
        Assert.Equal(SessionState.InReview, kept.State);
        Assert.True(Directory.Exists(kept.Workspace));

        await env.Server.TransitionAsync(task.Id, "complete");
        var closed = await Eventually.WaitAsync(async () =>
        {
            var s = await second.Sessions.GetAsync(session.Id, CancellationToken.None);
            return s?.State == SessionState.Closed ? s : null;
        }, "the session to close once the task is done");
        Assert.False(Directory.Exists(closed.Workspace));
        Assert.Single(env.InvocationsFor(task.Id));
    }

    [Fact]
    public async Task Rejected_review_resumes_the_same_conversation_with_the_reason()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("needs a second pass");
        await env.StartInProcessAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");

        await env.Server.TransitionAsync(task.Id, "reject", "add tests");

        await Eventually.TrueAsync(() => Task.FromResult(env.InvocationsFor(task.Id).Count == 2), "the session to resume");
        await env.WaitForStatusAsync(task.Id, "in_review");
        var runs = env.InvocationsFor(task.Id);
        Assert.True(runs[1].Resume);
        Assert.Equal(runs[0].ProviderSessionId, runs[1].ProviderSessionId);
        Assert.Contains("add tests", runs[1].Prompt, StringComparison.Ordinal);
    }
}
