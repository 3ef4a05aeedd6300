using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>A daemon against a real server, the fake claude as its runtime: a todo task runs to review.</summary>
public sealed class HappyPathTests
{
    [Fact]
    public async Task Task_is_dispatched_run_and_reaches_review_with_messages_and_usage()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("write the report");
        var daemon = await env.StartInProcessAsync();

        var reviewed = await env.WaitForStatusAsync(task.Id, "in_review");
        Assert.Equal("in_review", reviewed.Status);

        var session = await Eventually.WaitAsync(async () =>
        {
            var s = await daemon.Sessions.FindOpenByTaskAsync(task.Id, CancellationToken.None);
            return s?.State == SessionState.InReview ? s : null;
        }, "the local session to be in review");

        // The agent wrote its file in its own workspace.
        Assert.True(File.Exists(Path.Combine(session.Workspace!, "result.txt")));

        // Reports went through the outbox: the agent's text on the task, usage and cost on the server session.
        var withMessage = await Eventually.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(task.Id);
            return t.Messages?.Any(m => m.Content == "working on it") == true ? t : null;
        }, "the agent's message on the task");
        Assert.Contains(withMessage.Messages!, m => m.SenderType == "agent");
        var serverSession = await Eventually.WaitAsync(async () =>
        {
            var list = await env.Server.SessionsAsync(task.Id);
            return list.FirstOrDefault(s => s.CostMicroUsd > 0);
        }, "usage on the server session");
        Assert.Equal(session.ServerSessionId, serverSession.Id);
        Assert.Equal(100, serverSession.InputTokens);
        Assert.Equal(50, serverSession.OutputTokens);
        Assert.Equal(12_500, serverSession.CostMicroUsd);

        // One launch, fresh (not a resume), with our protocol, its identity, and none of the daemon's credentials.
        var run = Assert.Single(env.InvocationsFor(task.Id));
        Assert.False(run.Resume);
        Assert.True(run.HasSystemPrompt);
        Assert.Equal(session.ServerSessionId, run.AkSessionId);
        Assert.Equal(session.ProviderSessionId, run.ProviderSessionId);
        Assert.Equal(env.Server.BaseUrl, run.AkServer);
        Assert.False(run.HasAkToken);
        Assert.Contains("write the report", run.Prompt, StringComparison.Ordinal);
    }
}
