using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Storage;

/// <summary>Stopping and starting again on the same store: nothing lost, no second admin, migrations not re-applied.</summary>
public abstract class RestartTests
{
    protected abstract DatabaseKind Kind { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_restarted_server_keeps_its_data_admin_and_schema()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ak-restart-" + Guid.NewGuid().ToString("N")[..12]);
        string? database = Kind == DatabaseKind.Postgres ? await TestPostgres.CreateDatabaseAsync(Ct) : null;
        try
        {
            string adminToken, userToken, taskId;
            await using (var first = await TestServer.StartAsync(Kind, new TestServerOptions { DataDir = dataDir, ConnectionString = database }, Ct))
            {
                adminToken = first.AdminToken;
                var user = await first.CreateUserAsync(cancellationToken: Ct);
                userToken = user.Token;
                var work = await user.StartWorkerAsync(Ct);
                taskId = work.Task.Id;
                await (await work.Session.Client.PostJsonAsync($"api/tasks/{taskId}/claim", new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest, Ct))
                    .ExpectAsync(HttpStatusCode.OK, Ct);
            }

            await using var second = await TestServer.StartAsync(Kind, new TestServerOptions { DataDir = dataDir, ConnectionString = database, AdminToken = adminToken }, Ct);
            Assert.Equal(adminToken, (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin-token"), Ct)).Trim());
            await (await second.Admin.GetAsync("api/users", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
            var task = await (await second.CreateClient(userToken).GetAsync($"api/tasks/{taskId}", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
            Assert.Equal("in_progress", task.Status);
            var (migrations, admins) = await second.Storage.ReadAsync(async (db, ct) =>
                (Convert.ToInt64(await db.Command("SELECT COUNT(*) FROM schema_migrations").ScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture),
                 Convert.ToInt64(await db.Command("SELECT COUNT(*) FROM users WHERE is_admin = @a").Add("@a", true).ScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture)), Ct);
            var scripts = AgentKanban.Server.Storage.Migrations.For(Kind == DatabaseKind.Sqlite ? AgentKanban.Server.Storage.StorageKind.Sqlite : AgentKanban.Server.Storage.StorageKind.Postgres).Count;
            Assert.Equal(((long)scripts, 1L), (migrations, admins));
        }
        finally
        {
            if (database is not null)
            {
                await TestPostgres.DropDatabaseAsync(database);
            }

            TestServer.DeleteDirectory(dataDir);
        }
    }
}

public sealed class RestartSqliteTests : RestartTests
{
    protected override DatabaseKind Kind => DatabaseKind.Sqlite;
}

public sealed class RestartPostgresTests : RestartTests
{
    protected override DatabaseKind Kind => DatabaseKind.Postgres;
}
