using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>messages</c> table: chat messages on a task.</summary>
public static class MessageRows
{
    public static async Task<List<MessageDto>> ListAsync(DbScope db, string taskId, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
            "SELECT id, task_id, sender_type, sender_id, content, created_at FROM " +
            "(SELECT * FROM messages WHERE task_id = @task ORDER BY seq DESC LIMIT @limit) m ORDER BY seq")
            .Add("@task", taskId).Add("@limit", (long)limit);
        var list = new List<MessageDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new MessageDto(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetTime(5)));
        }

        return list;
    }

    public static Task<int> AddAsync(WriteTransaction tx, MessageDto message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(message);
        return tx.Command("INSERT INTO messages (id, task_id, sender_type, sender_id, content, created_at) VALUES (@id, @t, @st, @s, @c, @now)")
            .Add("@id", message.Id).Add("@t", message.TaskId).Add("@st", message.SenderType).Add("@s", message.SenderId).Add("@c", message.Content)
            .Add("@now", message.CreatedAt)
            .ExecAsync(cancellationToken);
    }
}
