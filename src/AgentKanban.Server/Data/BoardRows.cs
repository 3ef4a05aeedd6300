using System.Globalization;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>boards</c> table and its <c>labels</c>.</summary>
public static class BoardRows
{
    public static Task<int> InsertAsync(
        WriteTransaction tx, string id, string ownerId, string name, string type, string? description, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("INSERT INTO boards (id, owner_id, name, type, description, task_seq, created_at, updated_at) " +
                          "VALUES (@id, @o, @n, @type, @d, 0, @t, @t)")
            .Add("@id", id).Add("@o", ownerId).Add("@n", name).Add("@type", type).Add("@d", description).Add("@t", now)
            .ExecAsync(cancellationToken);
    }

    /// <summary>The owner's board with its labels, or null.</summary>
    public static async Task<BoardDto?> GetAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken)
    {
        var labels = new List<LabelDto>();
        await using (var command = db.Command("SELECT name, color, description FROM labels WHERE board_id = @b ORDER BY name").Add("@b", id))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                labels.Add(new LabelDto(reader.GetString(0), reader.GetString(1), reader.GetStringOrNull(2)));
            }
        }

        await using (var command = db.Command("SELECT id, name, type, description, created_at, updated_at FROM boards WHERE id = @id AND owner_id = @o")
                         .Add("@id", id).Add("@o", ownerId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            return await reader.ReadAsync(cancellationToken)
                ? new BoardDto(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), labels,
                    reader.GetTime(4), reader.GetTime(5))
                : null;
        }
    }

    /// <summary>The owner's boards (optionally the one with this name), in creation order.</summary>
    public static async Task<List<BoardDto>> ListAsync(DbScope db, string ownerId, string? name, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT id FROM boards WHERE owner_id = @o" + (name is null ? "" : " AND name = @n") +
                                             " ORDER BY created_seq").Add("@o", ownerId);
        if (name is not null)
        {
            command.Add("@n", name);
        }

        var ids = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }
        }

        var list = new List<BoardDto>(ids.Count);
        foreach (var id in ids)
        {
            list.Add(await GetAsync(db, ownerId, id, cancellationToken) ?? throw DomainException.NotFound("board", id));
        }

        return list;
    }

    /// <summary>The id of the owner's board with this name, or null.</summary>
    public static async Task<string?> IdByNameAsync(DbScope db, string ownerId, string name, CancellationToken cancellationToken) =>
        await db.Command("SELECT id FROM boards WHERE owner_id = @o AND name = @n").Add("@o", ownerId).Add("@n", name)
            .ScalarAsync(cancellationToken) as string;

    /// <summary>Sets the name when given and the description when given ("" clears it).</summary>
    public static Task<int> UpdateAsync(WriteTransaction tx, string id, string? name, string? description, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE boards SET name = COALESCE(@n, name), description = CASE WHEN @hasd THEN @d ELSE description END, " +
                          "updated_at = @t WHERE id = @id")
            .Add("@n", name).Add("@hasd", description is not null).Add("@d", description is "" ? null : description)
            .Add("@t", now).Add("@id", id)
            .ExecAsync(cancellationToken);
    }

    public static Task<int> TouchAsync(WriteTransaction tx, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("UPDATE boards SET updated_at = @t WHERE id = @id").Add("@t", now).Add("@id", id).ExecAsync(cancellationToken);
    }

    public static Task<int> DeleteAsync(WriteTransaction tx, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM boards WHERE id = @id").Add("@id", id).ExecAsync(cancellationToken);
    }

    /// <summary>The next task number of the board (its <c>task_seq</c> counter, raised in the write).</summary>
    public static async Task<long> NextTaskSeqAsync(WriteTransaction tx, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return Convert.ToInt64(await tx.Command("UPDATE boards SET task_seq = task_seq + 1 WHERE id = @b RETURNING task_seq")
            .Add("@b", id).ScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The names of the board's labels.</summary>
    public static async Task<HashSet<string>> LabelNamesAsync(DbScope db, string boardId, CancellationToken cancellationToken)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var command = db.Command("SELECT name FROM labels WHERE board_id = @b").Add("@b", boardId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            known.Add(reader.GetString(0));
        }

        return known;
    }

    /// <summary>Adds a label; 0 when the board already has one by that name.</summary>
    public static Task<int> AddLabelAsync(
        WriteTransaction tx, string boardId, string name, string color, string? description, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("INSERT INTO labels (board_id, name, color, description, created_at) VALUES (@b, @n, @c, @d, @t) " +
                          "ON CONFLICT (board_id, name) DO NOTHING")
            .Add("@b", boardId).Add("@n", name).Add("@c", color).Add("@d", description).Add("@t", now)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Removes a label from the board (not from its tasks: <see cref="TaskRows.RemoveLabelAsync"/>); 0 when there was none.</summary>
    public static Task<int> RemoveLabelAsync(WriteTransaction tx, string boardId, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM labels WHERE board_id = @b AND name = @n").Add("@b", boardId).Add("@n", name).ExecAsync(cancellationToken);
    }
}
