using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>web_sessions</c> table: the web board's browser sessions, by the hash of their cookie.</summary>
public static class WebSessionRows
{
    /// <summary>Stores a new session; expired sessions of anyone are swept in the same write.</summary>
    public static async Task<int> InsertAsync(
        WriteTransaction tx, string idHash, string userId, DateTimeOffset now, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        // Sign-ins are rare, so sweeping here keeps the table small at no cost.
        await tx.Command("DELETE FROM web_sessions WHERE expires_at <= @now").Add("@now", now).ExecAsync(cancellationToken);
        return await tx.Command("INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at) VALUES (@h, @u, @now, @exp)")
            .Add("@h", idHash).Add("@u", userId).Add("@now", now).Add("@exp", expires)
            .ExecAsync(cancellationToken);
    }

    /// <summary>The user of an unexpired session, or null.</summary>
    public static async Task<UserRows.Identity?> FindUserAsync(DbScope db, string idHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
                "SELECT u.id, u.name, u.is_admin FROM web_sessions s JOIN users u ON u.id = s.user_id " +
                "WHERE s.id_hash = @h AND s.expires_at > @now")
            .Add("@h", idHash).Add("@now", now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? UserRows.IdentityOf(reader) : null;
    }

    public static Task<int> DeleteAsync(WriteTransaction tx, string idHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM web_sessions WHERE id_hash = @h").Add("@h", idHash).ExecAsync(cancellationToken);
    }
}
