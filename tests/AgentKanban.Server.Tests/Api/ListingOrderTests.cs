using System.Data.Common;
using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AgentKanban.Server.Tests.Api;

/// <summary>
/// Boards, users and sessions are listed in the order they were created (sessions newest first), whatever the clock
/// says: rows created in the same millisecond, or after the clock stepped back, keep their creation order.
/// </summary>
public abstract class ListingOrderTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);

    protected abstract DatabaseKind Kind { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rows_created_at_the_same_instant_are_listed_in_creation_order()
    {
        // The clock never moves: every row below has the same created_at, and their names and ids sort the other way.
        await using var server = await TestServer.StartAsync(Kind, new TestServerOptions { Time = new FakeTimeProvider(T0) }, Ct);
        var prefix = "o" + Guid.NewGuid().ToString("N")[..8];
        var users = new List<TestUser>();
        foreach (var name in new[] { "zed", "mia", "amy" })
        {
            users.Add(await server.CreateUserAsync($"{prefix}-{name}", Ct));
        }

        var owner = users[0];
        foreach (var name in new[] { "zulu", "mike", "alpha" })
        {
            await owner.CreateBoardAsync(name, cancellationToken: Ct);
        }

        var leader = await owner.CreateAgentAsync(kind: "leader", cancellationToken: Ct);
        var machine = await owner.RegisterMachineAsync(cancellationToken: Ct);
        foreach (var suffix in new[] { "a", "b", "c" })
        {
            await OpenSessionAsync(machine, leader.Id, $"{prefix}-{suffix}");
        }

        Assert.Equal(["zulu", "mike", "alpha"], (await ListBoardsAsync(owner.Client)).Select(b => b.Name));
        Assert.Equal([$"{prefix}-zed", $"{prefix}-mia", $"{prefix}-amy"], (await ListUsersAsync(server.Admin)).Select(u => u.Name).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.Equal([$"{prefix}-c", $"{prefix}-b", $"{prefix}-a"], (await ListSessionsAsync(owner.Client)).Select(s => s.Id));
    }

    [Fact]
    public async Task A_store_from_before_creation_numbers_keeps_its_listing_order_and_new_rows_come_last()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ak-listing-order-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDir);
        var database = Kind == DatabaseKind.Postgres ? await TestPostgres.CreateDatabaseAsync(Ct) : null;
        try
        {
            var adminToken = Ids.NewSecret(Authenticator.UserTokenPrefix);
            var bobToken = Ids.NewSecret(Authenticator.UserTokenPrefix);
            var t1 = T0.AddMinutes(1);
            var t2 = T0.AddMinutes(2);
            await using (var connection = await OpenAsync(dataDir, database))
            {
                // The schema as it was before listings had creation numbers.
                await Migrations.ApplyAsync(connection, StorageKindOf(Kind), T0, Ct, maxVersion: 3);
                await InsertUserAsync(connection, "u-admin", "admin", true, adminToken, T0);
                await InsertUserAsync(connection, "u-zed", "zed", false, Ids.NewSecret(Authenticator.UserTokenPrefix), t1);
                await InsertUserAsync(connection, "u-bob", "bob", false, bobToken, T0);
                await InsertUserAsync(connection, "u-amy", "amy", false, Ids.NewSecret(Authenticator.UserTokenPrefix), t1);
                foreach (var (id, name, at) in new[] { ("b-late", "late", t2), ("b-x", "x-ray", t1), ("b-a", "alpha", t1) })
                {
                    await ExecAsync(connection, "INSERT INTO boards (id, owner_id, name, type, task_seq, created_at, updated_at) VALUES (@id, 'u-bob', @n, 'ops', 0, @t, @t)",
                        c => c.Add("@id", id).Add("@n", name).Add("@t", at));
                }

                await ExecAsync(connection, "INSERT INTO agents (id, owner_id, username, kind, runtime, created_at, updated_at) VALUES ('a-lead', 'u-bob', 'lead', 'leader', 'claude', @t, @t)",
                    c => c.Add("@t", T0));
                await ExecAsync(connection, "INSERT INTO machines (id, owner_id, device_id, name, api_key_hash, created_at) VALUES ('m-old', 'u-bob', 'old-device', 'old', @h, @t)",
                    c => c.Add("@h", Ids.Hash(Ids.NewSecret(Authenticator.MachineKeyPrefix))).Add("@t", T0));
                var (_, publicKey) = SessionToken.GenerateKeyPair();
                foreach (var (id, at) in new[] { ("s-1", t1), ("s-3", t2), ("s-2", t1) })
                {
                    await ExecAsync(connection, "INSERT INTO sessions (id, owner_id, agent_id, machine_id, status, epoch, public_key, created_at) " +
                                                "VALUES (@id, 'u-bob', 'a-lead', 'm-old', 'active', 0, @k, @t)",
                        c => c.Add("@id", id).Add("@k", publicKey).Add("@t", at));
                }
            }

            // The server starts on that store (and migrates it) with its clock behind every stored row.
            await using var server = await TestServer.StartAsync(Kind,
                new TestServerOptions { DataDir = dataDir, ConnectionString = database, AdminToken = adminToken, Time = new FakeTimeProvider(T0) }, Ct);
            var bobClient = server.CreateClient(bobToken);
            var bob = new TestUser(server, new UserDto("u-bob", "bob", false, T0), bobToken, bobClient);

            Assert.Equal(["alpha", "x-ray", "late"], (await ListBoardsAsync(bobClient)).Select(b => b.Name));
            Assert.Equal(["admin", "bob", "amy", "zed"], (await ListUsersAsync(server.Admin)).Select(u => u.Name));
            Assert.Equal(["s-3", "s-1", "s-2"], (await ListSessionsAsync(bobClient)).Select(s => s.Id));

            await bob.CreateBoardAsync("aaa-new", cancellationToken: Ct);
            await server.CreateUserAsync("aaa-new", Ct);
            var machine = await bob.RegisterMachineAsync(cancellationToken: Ct);
            var newSession = Guid.NewGuid().ToString("N")[..12];
            await OpenSessionAsync(machine, "a-lead", newSession);

            Assert.Equal(["alpha", "x-ray", "late", "aaa-new"], (await ListBoardsAsync(bobClient)).Select(b => b.Name));
            Assert.Equal(["admin", "bob", "amy", "zed", "aaa-new"], (await ListUsersAsync(server.Admin)).Select(u => u.Name));
            Assert.Equal([newSession, "s-3", "s-1", "s-2"], (await ListSessionsAsync(bobClient)).Select(s => s.Id));
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

    private static StorageKind StorageKindOf(DatabaseKind kind) => kind == DatabaseKind.Sqlite ? StorageKind.Sqlite : StorageKind.Postgres;

    private static async Task<DbConnection> OpenAsync(string dataDir, string? database)
    {
        DbConnection connection = database is null
            ? new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "ak.db"), Pooling = false }.ToString())
            : new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static Task InsertUserAsync(DbConnection connection, string id, string name, bool admin, string token, DateTimeOffset at) =>
        ExecAsync(connection, "INSERT INTO users (id, name, is_admin, token_hash, created_at) VALUES (@id, @n, @a, @h, @t)",
            c => c.Add("@id", id).Add("@n", name).Add("@a", admin).Add("@h", Ids.Hash(token)).Add("@t", at));

    private static async Task ExecAsync(DbConnection connection, string sql, Action<DbCommand> bind)
    {
        var command = connection.Command(sql);
        bind(command);
        await command.ExecAsync(Ct);
    }

    private static async Task OpenSessionAsync(TestMachine machine, string agentId, string sessionId)
    {
        var (_, publicKey) = SessionToken.GenerateKeyPair();
        await (await machine.Client.PostJsonAsync("api/sessions", new OpenSessionRequest { AgentId = agentId, SessionId = sessionId, PublicKey = publicKey },
            ContractsJsonContext.Default.OpenSessionRequest, Ct)).ExpectAsync(HttpStatusCode.Created, Ct);
    }

    private static async Task<List<BoardDto>> ListBoardsAsync(HttpClient client) =>
        await (await client.GetAsync("api/boards", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListBoardDto, Ct);

    private static async Task<List<UserDto>> ListUsersAsync(HttpClient admin) =>
        await (await admin.GetAsync("api/users", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListUserDto, Ct);

    private static async Task<List<SessionDto>> ListSessionsAsync(HttpClient client) =>
        await (await client.GetAsync("api/sessions", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListSessionDto, Ct);
}

public sealed class ListingOrderSqliteTests : ListingOrderTests
{
    protected override DatabaseKind Kind => DatabaseKind.Sqlite;
}

public sealed class ListingOrderPostgresTests : ListingOrderTests
{
    protected override DatabaseKind Kind => DatabaseKind.Postgres;
}
