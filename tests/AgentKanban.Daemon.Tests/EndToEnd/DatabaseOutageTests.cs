using AgentKanban.Daemon.Tests.Infrastructure;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// The board server's PostgreSQL database goes away for three leases while the server and the daemon stay up. The
/// daemon's heartbeats are answered <c>storage_unavailable</c>: its agent keeps working (the server cannot take a lease
/// back without its database, and owes every lease its grace when the database returns), and afterwards the task was
/// never taken away.
/// </summary>
public sealed class DatabaseOutageTests
{
    private static readonly TimeSpan LeaseTtl = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task A_database_outage_past_the_lease_takes_no_lease_and_stops_no_agent()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync(LeaseTtl, postgres: true);
        var task = await env.CreateTaskAsync("works through a database outage", "claim", "sleep 16000", "say done", "review", "result");
        var daemon = env.StartProcess();
        await env.WaitForStatusAsync(task.Id, "in_progress");
        var run = await Eventually.WaitAsync(() => Task.FromResult(env.InvocationsFor(task.Id) is [var first, ..] ? first : null), "the agent to start");

        await using (await DatabaseOutage.BeginAsync(env.Server.ConnectionString, TestContext.Current.CancellationToken))
        {
            await Task.Delay(LeaseTtl * 3, TimeProvider.System, TestContext.Current.CancellationToken);
        }

        // The agent was never stopped: the one run goes on to review, and the lease never lapsed.
        var reviewed = await env.WaitForStatusAsync(task.Id, "in_review", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(reviewed.Activity!, a => a.Action == "lease_expired");
        var runs = env.InvocationsFor(task.Id);
        Assert.Equal(run, Assert.Single(runs));
        Assert.DoesNotContain("stopping every agent", daemon.Output, StringComparison.Ordinal);
        Assert.False(daemon.HasExited, daemon.Output);
    }
}
