using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// The outbox's other side: a report the server can never take is set aside as a dead letter (with its reason and time)
/// instead of being retried forever, and the reports queued behind it still arrive, in order.
/// </summary>
public sealed class OutboxDeadLetterTests
{
    [Fact]
    public async Task An_agent_message_too_big_for_the_server_is_a_dead_letter_and_the_reports_after_it_arrive()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        // 3 Mi characters of "é": 6 MiB as the CLI writes them, three times that once escaped in a JSON request body.
        var task = await env.CreateTaskAsync("says too much", "claim", "say before the long one", "say-big 3072 é", "say after the long one",
            "review", "result");
        await env.StartInProcessAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");

        var messages = await Eventually.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(task.Id);
            return t.Messages?.Any(m => m.Content == "after the long one") == true ? t.Messages : null;
        }, "the message after the long one");
        Assert.Equal(["before the long one", "after the long one"], messages.Where(m => m.SenderType == "agent").Select(m => m.Content));

        // Nothing is left to deliver; the long message is kept aside with why it was never sent.
        await Eventually.TrueAsync(async () => (await StoreReader.OutboxAsync(env.StateDir)).Pending == 0, "the outbox to drain");
        var dead = Assert.Single(await StoreReader.DeadLettersAsync(env.StateDir));
        Assert.Equal("message", dead.Kind);
        Assert.Contains("not sent", dead.Reason, StringComparison.Ordinal);
        Assert.Contains("1 MiB", dead.Reason, StringComparison.Ordinal);
    }
}
