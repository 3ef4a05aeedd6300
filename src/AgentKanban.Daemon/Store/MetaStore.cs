namespace AgentKanban.Daemon.Store;

/// <summary>Small named values the daemon keeps between runs (the machine id, the event stream's last id).</summary>
public sealed class MetaStore(DaemonDatabase database)
{
    public const string MachineId = "machine_id";
    public const string ServerUrl = "server_url";
    public const string LastEventId = "last_event_id";

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public Task SetAsync(string key, string value, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
            command.Parameters.AddWithValue("$key", key);
            command.Parameters.AddWithValue("$value", value);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);
}
