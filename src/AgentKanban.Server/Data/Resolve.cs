using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>
/// Turns the references clients send (an id, or a name/username) into ids, always within the caller's owner —
/// another owner's resource is indistinguishable from a missing one (404).
/// </summary>
public static class Resolve
{
    public sealed record BoardRef(string Id, string Name, string Type);

    public sealed record AgentRef(string Id, string Username, string Kind);

    public static async Task<BoardRef?> FindBoardAsync(DbScope db, string ownerId, string reference, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
            "SELECT id, name, type FROM boards WHERE owner_id = @o AND (id = @v OR name = @v) " +
            "ORDER BY CASE WHEN id = @v THEN 0 ELSE 1 END LIMIT 1").Add("@o", ownerId).Add("@v", reference);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new BoardRef(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    public static async Task<BoardRef> BoardAsync(DbScope db, string ownerId, string reference, CancellationToken cancellationToken) =>
        await FindBoardAsync(db, ownerId, reference, cancellationToken) ?? throw DomainException.NotFound("board", Validate.Truncate(reference));

    public static async Task<string?> FindRepositoryAsync(DbScope db, string ownerId, string reference, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
            "SELECT id FROM repositories WHERE owner_id = @o AND (id = @v OR name = @v OR url = @v) " +
            "ORDER BY CASE WHEN id = @v THEN 0 WHEN name = @v THEN 1 ELSE 2 END LIMIT 1").Add("@o", ownerId).Add("@v", reference);
        return (string?)await command.ScalarAsync(cancellationToken);
    }

    public static async Task<AgentRef?> FindAgentAsync(DbScope db, string ownerId, string reference, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
            "SELECT id, username, kind FROM agents WHERE owner_id = @o AND (id = @v OR username = @v) " +
            "ORDER BY CASE WHEN id = @v THEN 0 ELSE 1 END LIMIT 1").Add("@o", ownerId).Add("@v", reference);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new AgentRef(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    public static async Task<AgentRef> AgentAsync(DbScope db, string ownerId, string reference, CancellationToken cancellationToken) =>
        await FindAgentAsync(db, ownerId, reference, cancellationToken) ?? throw DomainException.NotFound("agent", Validate.Truncate(reference));

    /// <summary>True when the task exists and belongs to the owner.</summary>
    public static async Task<bool> TaskExistsAsync(DbScope db, string ownerId, string id, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT 1 FROM tasks WHERE id = @id AND owner_id = @o").Add("@id", id).Add("@o", ownerId);
        return await command.ScalarAsync(cancellationToken) is not null;
    }
}
