using System.Diagnostics;
using Npgsql;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>
/// The test PostgreSQL server: <c>AK_TEST_PG</c> when set, otherwise the one <c>scripts/start-test-postgres.sh</c>
/// starts (idempotent). Each fixture gets a fresh database, dropped when it is done.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _baseConnectionString;

    /// <summary>Connection string of the server (no database chosen).</summary>
    public static async Task<string> BaseConnectionStringAsync(CancellationToken cancellationToken = default)
    {
        if (_baseConnectionString is not null)
        {
            return _baseConnectionString;
        }

        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_baseConnectionString is null)
            {
                var fromEnv = Environment.GetEnvironmentVariable("AK_TEST_PG");
                _baseConnectionString = string.IsNullOrWhiteSpace(fromEnv) ? await StartWithScriptAsync(cancellationToken) : fromEnv.Trim();
            }

            return _baseConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var baseConnection = await BaseConnectionStringAsync(cancellationToken);
        var name = "ak_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(baseConnection))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(baseConnection) { Database = name, MaxPoolSize = 60 }.ToString();
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing any connection still open to it.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        var baseConnection = await BaseConnectionStringAsync();
        await using var connection = new NpgsqlConnection(baseConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartWithScriptAsync(CancellationToken cancellationToken)
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "start-test-postgres.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not run " + script);
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed ({process.ExitCode}): {await error}");
        }

        return (await output).Trim().Split('\n')[^1].Trim();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AgentKanban.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (AgentKanban.slnx) above " + AppContext.BaseDirectory);
    }
}
