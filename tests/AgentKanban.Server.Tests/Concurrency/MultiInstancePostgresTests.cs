using System.Collections.Concurrent;
using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Concurrency;

/// <summary>Several server instances on one PostgreSQL database: migrations, leases and claims stay atomic across them.</summary>
public sealed class MultiInstancePostgresTests(PostgresServerFixture fixture) : ServerTests(fixture), IClassFixture<PostgresServerFixture>
{
    [Fact]
    public async Task Instances_starting_together_on_a_fresh_database_migrate_once_and_create_one_admin()
    {
        var database = await TestPostgres.CreateDatabaseAsync(Ct);
        try
        {
            var starting = Enumerable.Range(0, 3)
                .Select(_ => TestServer.StartAsync(DatabaseKind.Postgres, new TestServerOptions { ConnectionString = database, AdminToken = "unknown" }, Ct))
                .ToList();
            var servers = await Task.WhenAll(starting);
            try
            {
                var tokens = servers.Select(s => Path.Combine(s.DataDir, "admin-token")).Where(File.Exists).ToList();
                var token = (await File.ReadAllTextAsync(Assert.Single(tokens), Ct)).Trim();
                foreach (var server in servers)
                {
                    var me = await (await server.CreateClient(token).GetAsync("api/whoami", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.WhoAmIDto, Ct);
                    Assert.Equal("admin", me.Name);
                }

                var (migrations, admins) = await servers[0].Storage.ReadAsync(async (db, ct) =>
                    (Convert.ToInt64(await db.Command("SELECT COUNT(*) FROM schema_migrations").ScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture),
                     Convert.ToInt64(await db.Command("SELECT COUNT(*) FROM users").ScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture)), Ct);
                Assert.Equal(((long)AgentKanban.Server.Storage.Migrations.For(AgentKanban.Server.Storage.StorageKind.Postgres).Count, 1L), (migrations, admins));
            }
            finally
            {
                foreach (var server in servers)
                {
                    await server.DisposeAsync();
                }
            }
        }
        finally
        {
            await TestPostgres.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task Sixteen_machines_leasing_through_two_instances_never_lease_a_task_twice()
    {
        await using var second = await Server.StartAnotherInstanceAsync(Ct);
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var tasks = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, _) =>
            tasks.Add((await user.CreateTaskAsync(board.Id, agent.Id, "t" + i, Ct)).Id));
        var clients = new List<HttpClient>();
        for (var i = 0; i < 16; i++)
        {
            var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
            clients.Add(i % 2 == 0 ? machine.Client : second.CreateClient(machine.ApiKey));
        }

        var winners = await ConcurrencyTests.LeaseEverythingAsync(clients, tasks.ToList());

        Assert.Equal(1000, winners.Count);
        Assert.All(winners.Values, w => Assert.Single(w.Distinct()));
    }

    [Fact]
    public async Task Claimers_on_two_instances_still_produce_one_winner()
    {
        await using var second = await Server.StartAnotherInstanceAsync(Ct);
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var lease = await machine.LeaseAsync(task.Id, Ct);
        var clients = new List<HttpClient>();
        for (var i = 0; i < 32; i++)
        {
            var session = await machine.OpenSessionAsync(agent.Id, task.Id, lease.Epoch, Ct);
            clients.Add(i % 2 == 0 ? session.Client : second.CreateSessionClient(session.Id, session.PrivateKey));
        }

        var statuses = await ConcurrencyTests.Race(clients.Select(c => (Func<Task<HttpStatusCode>>)(async () =>
            (await TransitionAsync(c, task.Id, "claim")).StatusCode)));

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(31, statuses.Count(s => s == HttpStatusCode.Conflict));
    }
}
