namespace AgentKanban.Daemon.Store;

/// <summary>Which people's messages each session's agent took in while it ran (table <c>delivered_messages</c>).</summary>
public sealed class DeliveredMessageStore(DaemonDatabase database)
{
    /// <summary>Records that the session's agent has the message; recording it again changes nothing.</summary>
    public Task RecordAsync(string sessionId, string messageId, DateTimeOffset at, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO delivered_messages (session_id, message_id, delivered_at_ms) VALUES ($session, $message, $at)
                ON CONFLICT (session_id, message_id) DO NOTHING
                """;
            command.Parameters.AddWithValue("$session", sessionId);
            command.Parameters.AddWithValue("$message", messageId);
            command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>The ids of the messages the session's agent took in while it ran.</summary>
    public async Task<IReadOnlySet<string>> ListAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenReadAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT message_id FROM delivered_messages WHERE session_id = $session";
        command.Parameters.AddWithValue("$session", sessionId);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }

        return ids;
    }
}
