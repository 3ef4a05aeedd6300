using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>sessions</c> table: agent sessions, their epoch, status and usage counters.</summary>
public static class SessionRows
{
    /// <summary>What a batch of agent events needs to know about its session (see <see cref="LockAsync"/>).</summary>
    public sealed record Locked(string MachineId, string? TaskId, long Epoch, string Status, string AgentKind);

    /// <summary>
    /// Inside a write: the owner's session with its agent's kind, or null. On PostgreSQL the session row is locked to the
    /// commit, so two batches of one session are applied one after the other and seq order holds.
    /// </summary>
    public static async Task<Locked?> LockAsync(WriteTransaction tx, string ownerId, string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        await using var command = tx.Command(
                "SELECT s.machine_id, s.task_id, s.epoch, s.status, a.kind FROM sessions s JOIN agents a ON a.id = s.agent_id " +
                "WHERE s.id = @id AND s.owner_id = @o" + (tx.Kind == StorageKind.Postgres ? " FOR UPDATE OF s" : ""))
            .Add("@id", sessionId).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Locked(reader.GetString(0), reader.GetStringOrNull(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4))
            : null;
    }
}
