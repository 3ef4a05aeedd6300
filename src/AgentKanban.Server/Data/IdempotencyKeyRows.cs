using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>idempotency_keys</c> table: the stored answer of each mutating request sent with an <c>Idempotency-Key</c>.</summary>
public static class IdempotencyKeyRows
{
    /// <summary>A stored answer: its status code and UTF-8 JSON body.</summary>
    public sealed record Answer(int StatusCode, byte[] Body);

    public static async Task<Answer?> FindAsync(DbScope db, string identity, string key, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT status_code, body FROM idempotency_keys WHERE identity = @i AND key = @k")
            .Add("@i", identity).Add("@k", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Answer((int)reader.GetInt64(0), System.Text.Encoding.UTF8.GetBytes(reader.GetString(1)))
            : null;
    }

    public static Task<int> InsertAsync(WriteTransaction tx, string identity, string key, Answer answer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(answer);
        return tx.Command("INSERT INTO idempotency_keys (identity, key, status_code, body, created_at) VALUES (@i, @k, @s, @b, @t)")
            .Add("@i", identity).Add("@k", key).Add("@s", answer.StatusCode)
            .Add("@b", System.Text.Encoding.UTF8.GetString(answer.Body)).Add("@t", now)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Deletes answers stored before <paramref name="before"/>; returns how many.</summary>
    public static Task<int> DeleteOlderThanAsync(WriteTransaction tx, DateTimeOffset before, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM idempotency_keys WHERE created_at < @before").Add("@before", before).ExecAsync(cancellationToken);
    }
}
