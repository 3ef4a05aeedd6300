using System.Globalization;
using System.Text.Json;
using AgentKanban.Contracts;
using Npgsql;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>
/// Writes message events straight into a PostgreSQL event log the way another server instance does (order lock,
/// insert, <c>pg_notify</c> in one transaction), so the fan-out can be driven faster than the API's write path allows.
/// </summary>
internal sealed class SseDirectWriter(NpgsqlDataSource dataSource, string ownerId, string boardId, string taskId)
{
    // Same key the server takes before inserting events (ids become visible in commit order).
    private const long OrderLockKey = 0x616b5f6576656e74;

    public async Task WriteAsync(int seq)
    {
        var now = TimeProvider.System.GetUtcNow();
        var payload = JsonSerializer.Serialize(
            new ServerEventDto
            {
                Type = "task.message",
                BoardId = boardId,
                TaskId = taskId,
                CreatedAt = now,
                Message = new MessageDto("bench-" + seq.ToString(CultureInfo.InvariantCulture), taskId, "user", ownerId,
                    "bench:" + seq.ToString(CultureInfo.InvariantCulture), now),
            },
            ContractsJsonContext.Default.ServerEventDto);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("k", OrderLockKey);
            await lockCommand.ExecuteNonQueryAsync();
        }

        await using (var insert = new NpgsqlCommand(
            "WITH e AS (INSERT INTO events (type, owner_id, board_id, task_id, machine_id, agent_id, payload, created_at) " +
            "VALUES ('task.message', @owner, @board, @task, NULL, NULL, @payload, @at) RETURNING id) " +
            "SELECT pg_notify('ak_events', id::text) FROM e",
            connection,
            transaction))
        {
            insert.Parameters.AddWithValue("owner", ownerId);
            insert.Parameters.AddWithValue("board", boardId);
            insert.Parameters.AddWithValue("task", taskId);
            insert.Parameters.AddWithValue("payload", payload);
            insert.Parameters.AddWithValue("at", now);
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}
