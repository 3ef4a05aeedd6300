using AgentKanban.Server.Storage;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Storage;

/// <summary>The SQLite writer's sync level, read back from the writer connection of a real server (SQLite only: a PostgreSQL commit is always durable).</summary>
public sealed class SqliteDurabilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_writer_syncs_every_commit_to_disk()
    {
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, cancellationToken: Ct);
        await server.CreateUserAsync(cancellationToken: Ct);

        // PRAGMA synchronous answers 2 for FULL, 1 for NORMAL; WriteAsync runs on the one writer connection.
        Assert.Equal(2L, await WriterSynchronousAsync(server));
        Assert.Equal("wal", await server.Storage.WriteAsync(async (tx, ct) => (string?)await tx.Command("PRAGMA journal_mode").ScalarAsync(ct), Ct));
    }

    [Fact]
    public async Task Normal_is_used_only_when_asked_for()
    {
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, new TestServerOptions { SqliteSynchronous = SqliteSynchronous.Normal }, Ct);

        Assert.Equal(1L, await WriterSynchronousAsync(server));
    }

    private static Task<long> WriterSynchronousAsync(TestServer server) =>
        server.Storage.WriteAsync(async (tx, ct) => Convert.ToInt64(await tx.Command("PRAGMA synchronous").ScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture), Ct);
}
