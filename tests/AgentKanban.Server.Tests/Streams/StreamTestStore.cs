using AgentKanban.Contracts;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Streams;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>A migrated store on a fresh SQLite file or a fresh PostgreSQL database, removed on dispose.</summary>
internal sealed class StreamTestStore : IAsyncDisposable
{
    private readonly string? _directory;
    private readonly string? _postgres;

    private StreamTestStore(IStorageEngine engine, string? directory, string? postgres)
    {
        Engine = engine;
        _directory = directory;
        _postgres = postgres;
    }

    public IStorageEngine Engine { get; }

    /// <summary>The shared location, so a second engine (a second server instance) can open the same database.</summary>
    public string Location => _postgres ?? _directory!;

    public static async Task<StreamTestStore> CreateAsync(string engine, IEventSignal? signal, CancellationToken cancellationToken)
    {
        if (engine == "postgres")
        {
            var connectionString = await TestPostgres.CreateDatabaseAsync(cancellationToken);
            var pg = new PostgresStorageEngine(connectionString, signal, TimeProvider.System);
            await pg.MigrateAsync(cancellationToken);
            return new StreamTestStore(pg, null, connectionString);
        }

        var directory = Path.Combine(Path.GetTempPath(), "ak-streams-" + Guid.NewGuid().ToString("N"));
        var sqlite = new SqliteStorageEngine(directory, signal, TimeProvider.System);
        await sqlite.MigrateAsync(cancellationToken);
        return new StreamTestStore(sqlite, directory, null);
    }

    /// <summary>Commits one event through the engine's write path; returns the log's latest id afterwards.</summary>
    public static async Task<long> AppendAsync(IStorageEngine engine, string type, string owner, string? board, string? task, CancellationToken cancellationToken)
    {
        await engine.WriteAsync(
            (tx, _) =>
            {
                tx.AddEvent(new EventRecord(owner, board, task, null, null,
                    new ServerEventDto { Type = type, BoardId = board, TaskId = task, CreatedAt = TimeProvider.System.GetUtcNow() }));
                return Task.FromResult(0);
            },
            cancellationToken);
        return await LatestAsync(engine, cancellationToken);
    }

    public static async Task<long> LatestAsync(IStorageEngine engine, CancellationToken cancellationToken) =>
        await new DbEventLog(engine.OpenConnectionAsync).GetLatestIdAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        if (_postgres is not null)
        {
            await TestPostgres.DropDatabaseAsync(_postgres);
        }

        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
