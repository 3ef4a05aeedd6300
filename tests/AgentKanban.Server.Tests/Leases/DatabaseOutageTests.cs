using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Leases;
using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static AgentKanban.Server.Tests.Leases.LeaseExpiryTests;

namespace AgentKanban.Server.Tests.Leases;

/// <summary>
/// The database behind a running server goes away for longer than a lease (PostgreSQL refusing connections: the shared
/// database of a multi-machine setup, where this happens for real). Machines keep heartbeating; the server answers
/// <c>storage_unavailable</c>; nothing a live machine holds may expire because of it.
/// </summary>
public sealed class DatabaseOutageTests
{
    [Fact]
    public async Task A_database_outage_longer_than_the_lease_takes_no_lease_from_a_machine_that_kept_heartbeating()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync(DatabaseKind.Postgres, new TestServerOptions { Time = time, LeaseTtl = LeaseTtl }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        await (await LeaseExpiryTests.Transition(work.Session.Client, work.Task.Id, "claim")).ExpectAsync(HttpStatusCode.OK, Ct);
        await work.Machine.HeartbeatAsync(cancellationToken: Ct);

        await using (await DatabaseOutage.BeginAsync(server.ConnectionString, Ct))
        {
            // The machine keeps heartbeating; the server takes the heartbeat but cannot record it, and says so.
            var refused = await (await work.Machine.Client.PostJsonAsync($"api/machines/{work.Machine.Id}/heartbeat", new HeartbeatRequest(),
                ContractsJsonContext.Default.HeartbeatRequest, Ct)).ReadErrorAsync(HttpStatusCode.ServiceUnavailable, ErrorCodes.StorageUnavailable, cancellationToken: Ct);
            Assert.Contains("database", refused.Message, StringComparison.Ordinal);

            // The outage outlasts the lease; the sweeper's passes fail with the database.
            for (var i = 0; i < 3; i++)
            {
                await AdvanceOnePassAsync(time, server, LeaseTtl / 2);
            }
        }

        // The database is back: the first pass gives every lease its grace before it sweeps, so the machine that kept
        // heartbeating keeps its task, and its next heartbeat lands.
        await AdvancePassByPassAsync(time, server, LeaseTtl / 4);
        var kept = await user.GetTaskAsync(work.Task.Id, Ct);
        Assert.Equal("in_progress", kept.Status);
        Assert.True(kept.Lease!.ExpiresAt >= time.GetUtcNow() + LeaseTtl / 2, $"lease ends {kept.Lease.ExpiresAt:O}");
        Assert.DoesNotContain(kept.Activity!, a => a.Action == LeaseSweeper.ExpiredAction);
        await work.Machine.HeartbeatAsync(cancellationToken: Ct);
        await (await LeaseExpiryTests.Transition(work.Session.Client, work.Task.Id, "review")).ExpectAsync(HttpStatusCode.OK, Ct);
    }

}
