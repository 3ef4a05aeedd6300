using System.Data.Common;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>users</c> table: people, with the hash of their personal token.</summary>
public static class UserRows
{
    /// <summary>Who a user is, as authentication needs it.</summary>
    public sealed record Identity(string Id, string Name, bool IsAdmin);

    public static async Task<bool> NameTakenAsync(DbScope db, string name, CancellationToken cancellationToken) =>
        await db.Command("SELECT 1 FROM users WHERE name = @n").Add("@n", name).ScalarAsync(cancellationToken) is not null;

    public static Task<int> InsertAsync(WriteTransaction tx, UserDto user, string tokenHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(user);
        return tx.Command("INSERT INTO users (id, name, is_admin, token_hash, created_at) VALUES (@id, @n, @a, @h, @t)")
            .Add("@id", user.Id).Add("@n", user.Name).Add("@a", user.IsAdmin).Add("@h", tokenHash).Add("@t", user.CreatedAt)
            .ExecAsync(cancellationToken);
    }

    /// <summary>
    /// Creates the admin user named <c>admin</c> only while there is no user at all (one statement, so instances starting
    /// together create one admin); returns 0 when users existed.
    /// </summary>
    public static Task<int> InsertFirstAdminAsync(WriteTransaction tx, string id, string tokenHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command(
                "INSERT INTO users (id, name, is_admin, token_hash, created_at) " +
                "SELECT @id, 'admin', @admin, @hash, @at WHERE NOT EXISTS (SELECT 1 FROM users)")
            .Add("@id", id).Add("@admin", true).Add("@hash", tokenHash).Add("@at", now)
            .ExecAsync(cancellationToken);
    }

    /// <summary>Every user, in creation order.</summary>
    public static async Task<List<UserDto>> ListAsync(DbScope db, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT id, name, is_admin, created_at FROM users ORDER BY created_seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<UserDto>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Map(reader));
        }

        return list;
    }

    /// <summary>The user with this id, else the one with this name; null when neither exists.</summary>
    public static async Task<UserDto?> FindAsync(DbScope db, string idOrName, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT id, name, is_admin, created_at FROM users WHERE id = @v OR name = @v " +
                                             "ORDER BY CASE WHEN id = @v THEN 0 ELSE 1 END LIMIT 1").Add("@v", idOrName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    /// <summary>The user whose personal token hashes to <paramref name="tokenHash"/>.</summary>
    public static async Task<Identity?> FindByTokenHashAsync(DbScope db, string tokenHash, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT id, name, is_admin FROM users WHERE token_hash = @h").Add("@h", tokenHash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? IdentityOf(reader) : null;
    }

    /// <summary>A user from a row whose first columns are <c>id, name, is_admin</c>.</summary>
    internal static Identity IdentityOf(DbDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2));

    private static UserDto Map(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetTime(3));
}
