using System.Diagnostics;
using Npgsql;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>
/// Fresh PostgreSQL databases for the stream tests: the base connection string comes from <c>AK_TEST_PG</c>, or from
/// <c>scripts/start-test-postgres.sh</c> (which starts the test server when it is down). Never skipped.
/// </summary>
internal static class StreamTestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _base;

    public static async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var baseConnection = await BaseAsync(cancellationToken);
        var name = "ak_streams_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(baseConnection))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(baseConnection) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(await BaseAsync(CancellationToken.None));
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<string> BaseAsync(CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            _base ??= Environment.GetEnvironmentVariable("AK_TEST_PG") is { Length: > 0 } fromEnv
                ? fromEnv
                : await StartServerAsync(cancellationToken);
            return _base;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> StartServerAsync(CancellationToken cancellationToken)
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "start-test-postgres.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run " + script);
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed with exit code {process.ExitCode}");
        }

        return output.Trim().Split('\n')[^1].Trim();
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

        throw new InvalidOperationException("repository root (AgentKanban.slnx) not found above " + AppContext.BaseDirectory);
    }
}
