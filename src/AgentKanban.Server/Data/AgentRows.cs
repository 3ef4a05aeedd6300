using System.Data.Common;
using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>agents</c> table: worker and leader agents with their runtime, model, role and instructions.</summary>
public static class AgentRows
{
    private const string Columns = "id, username, name, kind, runtime, model, role, instructions, permission_mode, created_at, updated_at, command";

    /// <summary>
    /// An agent's editable fields: null leaves a field alone; for the optional ones (all but runtime and kind) an empty
    /// string clears it.
    /// </summary>
    public sealed record Fields(
        string? Runtime = null,
        string? Kind = null,
        string? Name = null,
        string? Model = null,
        string? Role = null,
        string? Instructions = null,
        string? PermissionMode = null,
        string? Command = null);

    public static Task<int> InsertAsync(
        WriteTransaction tx, string id, string ownerId, string username, string kind, string runtime, Fields fields, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(fields);
        return tx.Command("INSERT INTO agents (id, owner_id, username, name, kind, runtime, model, role, instructions, permission_mode, command, created_at, updated_at) " +
                          "VALUES (@id, @o, @u, @n, @k, @r, @m, @role, @i, @p, @c, @t, @t)")
            .Add("@id", id).Add("@o", ownerId).Add("@u", username).Add("@n", fields.Name).Add("@k", kind).Add("@r", runtime)
            .Add("@m", fields.Model).Add("@role", fields.Role).Add("@i", fields.Instructions).Add("@p", fields.PermissionMode).Add("@c", fields.Command).Add("@t", now)
            .ExecAsync(cancellationToken);
    }

    public static async Task<AgentDto?> GetAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken)
    {
        await using var command = db.Command($"SELECT {Columns} FROM agents WHERE id = @id AND owner_id = @o").Add("@id", id).Add("@o", ownerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    /// <summary>The owner's agents by username, optionally only those with this runtime, kind or username.</summary>
    public static async Task<List<AgentDto>> ListAsync(
        DbScope db, string ownerId, string? runtime, string? kind, string? username, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM agents WHERE owner_id = @o");
        await using var command = db.Command("").Add("@o", ownerId);
        if (runtime is not null)
        {
            sql.Append(" AND runtime = @r");
            command.Add("@r", runtime);
        }

        if (kind is not null)
        {
            sql.Append(" AND kind = @k");
            command.Add("@k", kind);
        }

        if (username is not null)
        {
            sql.Append(" AND username = @u");
            command.Add("@u", username);
        }

        command.CommandText = sql.Append(" ORDER BY username").ToString();
        var list = new List<AgentDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Map(reader));
        }

        return list;
    }

    public static Task<int> UpdateAsync(WriteTransaction tx, string id, Fields fields, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(fields);
        return tx.Command("UPDATE agents SET runtime = COALESCE(@r, runtime), kind = COALESCE(@k, kind), " +
                          "name = CASE WHEN @hn THEN @n ELSE name END, model = CASE WHEN @hm THEN @m ELSE model END, " +
                          "role = CASE WHEN @hr THEN @role ELSE role END, instructions = CASE WHEN @hi THEN @i ELSE instructions END, " +
                          "permission_mode = CASE WHEN @hp THEN @p ELSE permission_mode END, command = CASE WHEN @hc THEN @c ELSE command END, " +
                          "updated_at = @t WHERE id = @id")
            .Add("@r", fields.Runtime).Add("@k", fields.Kind)
            .Add("@hn", fields.Name is not null).Add("@n", Blank(fields.Name))
            .Add("@hm", fields.Model is not null).Add("@m", Blank(fields.Model))
            .Add("@hr", fields.Role is not null).Add("@role", Blank(fields.Role))
            .Add("@hi", fields.Instructions is not null).Add("@i", Blank(fields.Instructions))
            .Add("@hp", fields.PermissionMode is not null).Add("@p", Blank(fields.PermissionMode))
            .Add("@hc", fields.Command is not null).Add("@c", Blank(fields.Command))
            .Add("@t", now).Add("@id", id)
            .ExecAsync(cancellationToken);
    }

    public static Task<int> DeleteAsync(WriteTransaction tx, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM agents WHERE id = @id").Add("@id", id).ExecAsync(cancellationToken);
    }

    private static string? Blank(string? value) => value is "" ? null : value;

    private static AgentDto Map(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        Username = r.GetString(1),
        Name = r.GetStringOrNull(2),
        Kind = r.GetString(3),
        Runtime = r.GetString(4),
        Model = r.GetStringOrNull(5),
        Role = r.GetStringOrNull(6),
        Instructions = r.GetStringOrNull(7),
        PermissionMode = r.GetStringOrNull(8),
        CreatedAt = r.GetTime(9),
        UpdatedAt = r.GetTime(10),
        Command = r.GetStringOrNull(11),
    };
}
