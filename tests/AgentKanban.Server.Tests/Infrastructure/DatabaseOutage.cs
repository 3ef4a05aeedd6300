using Npgsql;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>
/// Takes a running server's PostgreSQL database away, for real, until disposed: the database refuses new connections
/// and the server's open ones are terminated, as when the database host restarts.
/// </summary>
public sealed class DatabaseOutage : IAsyncDisposable
{
    private readonly string _database;

    private DatabaseOutage(string database)
    {
        _database = database;
    }

    /// <param name="connectionString">The server's PostgreSQL connection string (the database to take away).</param>
    public static async Task<DatabaseOutage> BeginAsync(string? connectionString, CancellationToken cancellationToken)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString
            ?? throw new InvalidOperationException("a database outage needs a server on PostgreSQL")).Database!;
        await AdminAsync($"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS false", cancellationToken);
        await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()", cancellationToken);
        return new DatabaseOutage(database);
    }

    public async ValueTask DisposeAsync() =>
        await AdminAsync($"ALTER DATABASE {_database} WITH ALLOW_CONNECTIONS true", CancellationToken.None);

    private static async Task AdminAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(await TestPostgres.BaseConnectionStringAsync(cancellationToken));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
