using System.Globalization;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.Server.Streams;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// An outage long enough for the server to prune what the daemon's push channel missed: the server answers the
/// reconnect with a reset, and the daemon looks up what the lost pushes would have told it (a dispatch pass and a check
/// of every watched task) instead of leaving it to its slow timers.
/// </summary>
public sealed class StreamResetTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_rejection_pruned_while_the_daemon_was_cut_off_still_resumes_the_session()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync(eventRetention: Retention);
        await using var link = CuttableLink.To(env.Server.Port);
        env.ExtraEnvironment["AK_SERVER"] = link.BaseUrl;

        // The polling fallback and the task-watch timer wait ten minutes: within this test only the event stream can
        // make the daemon look at the task again.
        env.ExtraEnvironment["AK_TEST_POLL_MIN_MS"] = "600000";
        env.ExtraEnvironment["AK_TEST_POLL_MAX_MS"] = "600000";
        env.ExtraEnvironment["AK_TEST_WATCH_MS"] = "600000";
        var task = await env.CreateTaskAsync("needs a second pass");
        var daemon = await env.StartInProcessAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");
        await Eventually.TrueAsync(async () =>
            (await daemon.Sessions.FindOpenByTaskAsync(task.Id, CancellationToken.None))?.State == SessionState.InReview, "the session to wait in review");
        await Eventually.TrueAsync(() => Task.FromResult(daemon.Feed.Connected && daemon.Feed.LastEventId is not null), "the push channel to carry events");

        // The daemon loses the server; meanwhile the task is rejected, and the rejection is pruned from the log.
        link.Cut();
        await Eventually.TrueAsync(() => Task.FromResult(!daemon.Feed.Connected), "the daemon to notice the outage");
        var resumesAfter = daemon.Feed.LastEventId!.Value;
        await env.Server.TransitionAsync(task.Id, "reject", "add tests");
        var rejectedAt = await LatestEventIdAsync(env.Server);
        Assert.True(rejectedAt > resumesAfter);
        await Eventually.TrueAsync(async () =>
        {
            await env.Server.Services.GetRequiredService<EventRetention>().PruneOnceAsync(CancellationToken.None);
            return await CountEventsUpToAsync(env.Server, rejectedAt) == 0;
        }, "the rejection to age past the retention and be pruned");

        // A restarted server holds none of the pruned events in memory either: nothing anywhere can replay the rejection.
        await env.Server.StopAsync();
        await env.Server.StartAgainAsync();
        link.Restore();

        await Eventually.TrueAsync(() => Task.FromResult(env.InvocationsFor(task.Id).Count == 2), "the session to resume after the reset");
        var runs = env.InvocationsFor(task.Id);
        Assert.True(runs[1].Resume);
        Assert.Equal(runs[0].ProviderSessionId, runs[1].ProviderSessionId);
        Assert.Contains("add tests", runs[1].Prompt, StringComparison.Ordinal);
        Assert.True(daemon.Feed.LastEventId >= rejectedAt);
    }

    private static async Task<long> LatestEventIdAsync(BoardServer server)
    {
        using var response = await server.Admin.GetAsync("api/events/latest");
        response.EnsureSuccessStatusCode();
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("last_event_id").GetInt64();
    }

    /// <summary>How many events up to <paramref name="id"/> the server's log still holds (read-only, beside the server).</summary>
    private static async Task<long> CountEventsUpToAsync(BoardServer server, long id)
    {
        var path = Path.Combine(server.DataDir, "ak.db");
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM events WHERE id <= $id";
        command.Parameters.AddWithValue("$id", id);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
