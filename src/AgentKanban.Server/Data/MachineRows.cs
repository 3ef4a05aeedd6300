using System.Data.Common;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>
/// The <c>machines</c> table: registered machines with their API key hash, runtimes and usage windows (JSON text columns),
/// and the time of their last heartbeat.
/// </summary>
public static class MachineRows
{
    /// <summary>A machine is offline after this long without a heartbeat (computed on read).</summary>
    public static readonly TimeSpan OfflineAfter = TimeSpan.FromSeconds(60);

    private const string Columns = "id, name, os, version, device_id, runtimes, usage, last_heartbeat_at, created_at";

    /// <summary>A registration: a new machine, or the owner's machine with the same device id updated (with a new key). Returns its id.</summary>
    public static async Task<string> UpsertAsync(
        WriteTransaction tx, string newId, string ownerId, string deviceId, string name, string? os, string? version, string apiKeyHash,
        List<RuntimeStatusDto> runtimes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return (string)(await tx.Command(
                "INSERT INTO machines (id, owner_id, device_id, name, os, version, api_key_hash, runtimes, usage, last_heartbeat_at, created_at) " +
                "VALUES (@id, @o, @d, @n, @os, @v, @h, @r, '[]', @t, @t) " +
                "ON CONFLICT (owner_id, device_id) DO UPDATE SET name = excluded.name, os = excluded.os, version = excluded.version, " +
                "api_key_hash = excluded.api_key_hash, runtimes = excluded.runtimes, last_heartbeat_at = excluded.last_heartbeat_at " +
                "RETURNING id")
            .Add("@id", newId).Add("@o", ownerId).Add("@d", deviceId).Add("@n", name).Add("@os", os).Add("@v", version)
            .Add("@h", apiKeyHash).Add("@r", JsonSerializer.Serialize(runtimes, ServerJsonContext.Default.RuntimeList)).Add("@t", now)
            .ScalarAsync(cancellationToken))!;
    }

    /// <summary>The owner's machines by name.</summary>
    public static async Task<List<MachineDto>> ListAsync(DbScope db, string ownerId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.Command($"SELECT {Columns} FROM machines WHERE owner_id = @o ORDER BY name, id").Add("@o", ownerId);
        var list = new List<MachineDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Map(reader, now));
        }

        return list;
    }

    /// <summary>The owner's machine with this id, else the one with this name; null when neither exists.</summary>
    public static async Task<MachineDto?> FindAsync(DbScope db, string ownerId, string idOrName, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.Command($"SELECT {Columns} FROM machines WHERE owner_id = @o AND (id = @id OR name = @id) " +
                                             "ORDER BY CASE WHEN id = @id THEN 0 ELSE 1 END LIMIT 1")
            .Add("@o", ownerId).Add("@id", idOrName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader, now) : null;
    }

    public static async Task<bool> ExistsAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken) =>
        await db.Command("SELECT 1 FROM machines WHERE id = @id AND owner_id = @o").Add("@id", id).Add("@o", ownerId)
            .ScalarAsync(cancellationToken) is not null;

    /// <summary>A heartbeat: its time, and the version, runtimes and usage it reported (null ones stay).</summary>
    public static Task<int> RecordHeartbeatAsync(
        WriteTransaction tx, string id, string? version, List<RuntimeStatusDto>? runtimes, List<UsageWindowDto>? usage, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE machines SET last_heartbeat_at = @t, version = COALESCE(@v, version), " +
                          "runtimes = COALESCE(@r, runtimes), usage = COALESCE(@u, usage) WHERE id = @id")
            .Add("@t", now).Add("@v", version)
            .Add("@r", runtimes is null ? null : JsonSerializer.Serialize(runtimes, ServerJsonContext.Default.RuntimeList))
            .Add("@u", usage is null ? null : JsonSerializer.Serialize(usage, ServerJsonContext.Default.UsageList))
            .Add("@id", id)
            .ExecAsync(cancellationToken);
    }

    public static Task<int> DeleteAsync(WriteTransaction tx, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM machines WHERE id = @id").Add("@id", id).ExecAsync(cancellationToken);
    }

    /// <summary>The machine whose API key hashes to <paramref name="apiKeyHash"/>: its id, owner and name.</summary>
    public static async Task<(string Id, string OwnerId, string Name)?> FindByKeyHashAsync(DbScope db, string apiKeyHash, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT id, owner_id, name FROM machines WHERE api_key_hash = @h").Add("@h", apiKeyHash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    private static MachineDto Map(DbDataReader r, DateTimeOffset now)
    {
        var lastHeartbeat = r.GetTimeOrNull(7);
        return new MachineDto
        {
            Id = r.GetString(0),
            Name = r.GetString(1),
            Os = r.GetStringOrNull(2),
            Version = r.GetStringOrNull(3),
            DeviceId = r.GetStringOrNull(4),
            Runtimes = JsonSerializer.Deserialize(r.GetString(5), ServerJsonContext.Default.RuntimeList) ?? [],
            Usage = JsonSerializer.Deserialize(r.GetString(6), ServerJsonContext.Default.UsageList) ?? [],
            LastHeartbeatAt = lastHeartbeat,
            Status = lastHeartbeat is { } at && now - at < OfflineAfter ? "online" : "offline",
            CreatedAt = r.GetTime(8),
        };
    }
}
