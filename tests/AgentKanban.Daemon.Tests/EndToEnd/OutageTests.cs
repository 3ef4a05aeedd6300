using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>The outbox: reports queue while the server is down and are delivered once when it is back.</summary>
public sealed class OutageTests
{
    [Fact]
    public async Task Reports_made_during_a_server_outage_arrive_exactly_once_after_it()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("works through an outage",
            "claim", "say before the outage", "sleep 3000", "say during the outage", "say still down", "result", "review");
        var daemon = await env.StartInProcessAsync();

        await Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Messages?.Any(m => m.Content == "before the outage") == true, "the first message on the server");
        await env.Server.StopAsync();

        // The agent keeps talking; its words and its usage wait in the outbox.
        await Eventually.TrueAsync(async () => await daemon.Outbox.PendingCountAsync(CancellationToken.None) >= 3, "reports to queue up during the outage");
        Assert.False(env.Server.IsRunning);

        await env.Server.StartAgainAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");
        await Eventually.TrueAsync(async () => await daemon.Outbox.PendingCountAsync(CancellationToken.None) == 0, "the outbox to drain");

        var reviewed = await env.Server.GetTaskAsync(task.Id);
        Assert.Single(reviewed.Messages!, m => m.Content == "before the outage");
        Assert.Single(reviewed.Messages!, m => m.Content == "during the outage");
        Assert.Single(reviewed.Messages!, m => m.Content == "still down");
        var session = Assert.Single(await env.Server.SessionsAsync(task.Id));
        Assert.Equal(100, session.InputTokens);
        Assert.Equal(12_500, session.CostMicroUsd);
        Assert.DoesNotContain(await daemon.Outbox.AllAsync(CancellationToken.None), i => i.FailedAtMs is not null);
    }
}
