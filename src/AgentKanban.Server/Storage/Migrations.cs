using System.Data.Common;
using System.Reflection;

namespace AgentKanban.Server.Storage;

/// <summary>
/// The numbered SQL scripts embedded under <c>Storage/Migrations/{sqlite|postgres}/NNNN_name.sql</c>, applied in
/// order, each in its own transaction together with its <c>schema_migrations</c> row.
/// </summary>
internal static class Migrations
{
    internal sealed record Script(int Version, string Name, string Sql);

    public static IReadOnlyList<Script> For(StorageKind kind)
    {
        var folder = kind == StorageKind.Sqlite ? ".Storage.Migrations.sqlite." : ".Storage.Migrations.postgres.";
        var assembly = typeof(Migrations).Assembly;
        var scripts = new List<Script>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var at = resource.IndexOf(folder, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var file = resource[(at + folder.Length)..^".sql".Length];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file.AsSpan(0, underscore), out var version))
            {
                throw new InvalidOperationException($"Migration '{resource}' is not named NNNN_name.sql");
            }

            scripts.Add(new Script(version, file, Read(assembly, resource)));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (scripts[i].Version == scripts[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations share version {scripts[i].Version}");
            }
        }

        return scripts;
    }

    /// <summary>
    /// Applies every script newer than the recorded ones, up to <paramref name="maxVersion"/> (all of them unless told).
    /// The caller holds whatever lock keeps other starters out.
    /// </summary>
    public static async Task<int> ApplyAsync(
        DbConnection connection,
        StorageKind kind,
        DateTimeOffset now,
        CancellationToken cancellationToken,
        int maxVersion = int.MaxValue)
    {
        var createTable = kind == StorageKind.Sqlite
            ? "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
            : "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)";
        await connection.Command(createTable).ExecAsync(cancellationToken);

        var applied = new HashSet<int>();
        await using (var read = connection.Command("SELECT version FROM schema_migrations"))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                applied.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        var count = 0;
        foreach (var script in For(kind))
        {
            if (applied.Contains(script.Version) || script.Version > maxVersion)
            {
                continue;
            }

            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await using (var apply = connection.Command(script.Sql))
            {
                apply.Transaction = tx;
                await apply.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var record = connection.Command("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)"))
            {
                record.Transaction = tx;
                record.Add("@v", script.Version).Add("@n", script.Name).Add("@t", now);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
            count++;
        }

        return count;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Missing embedded migration {resource}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
