using System.Text;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>A fingerprint of everything in the store (row counts, the event log's head, every task's state), to prove a refused request changed nothing.</summary>
public static class StoreSnapshot
{
    private static readonly string[] Tables =
    [
        "users", "boards", "labels", "repositories", "agents", "machines", "tasks", "task_labels", "task_dependencies",
        "activity", "messages", "sessions", "idempotency_keys", "events",
    ];

    public static async Task<string> TakeAsync(TestServer server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        return await server.Storage.ReadAsync(async (db, ct) =>
        {
            var text = new StringBuilder();
            foreach (var table in Tables)
            {
                text.Append(table).Append('=').Append(await db.Command($"SELECT COUNT(*) FROM {table}").ScalarAsync(ct)).Append(';');
            }

            text.Append("events.max=").Append(await db.Command("SELECT COALESCE(MAX(id), 0) FROM events").ScalarAsync(ct)).Append(';');
            await using var command = db.Command("SELECT id, status, epoch, title, COALESCE(description, ''), COALESCE(assigned_to, ''), position FROM tasks ORDER BY id");
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    text.Append(reader.GetValue(i)).Append('|');
                }

                text.Append(';');
            }

            return text.ToString();
        }, cancellationToken);
    }
}
