using System.Data.Common;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Data;

/// <summary>The <c>repositories</c> table: the git repositories dev-board tasks work in.</summary>
public static class RepositoryRows
{
    public static async Task<bool> NameTakenAsync(DbScope db, string ownerId, string name, CancellationToken cancellationToken) =>
        await db.Command("SELECT 1 FROM repositories WHERE owner_id = @o AND name = @n").Add("@o", ownerId).Add("@n", name)
            .ScalarAsync(cancellationToken) is not null;

    public static Task<int> InsertAsync(WriteTransaction tx, string ownerId, RepositoryDto repository, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(repository);
        return tx.Command("INSERT INTO repositories (id, owner_id, name, url, created_at) VALUES (@id, @o, @n, @u, @t)")
            .Add("@id", repository.Id).Add("@o", ownerId).Add("@n", repository.Name).Add("@u", repository.Url).Add("@t", repository.CreatedAt)
            .ExecAsync(cancellationToken);
    }

    /// <summary>The owner's repositories by name, optionally only the one with this name and/or URL.</summary>
    public static async Task<List<RepositoryDto>> ListAsync(DbScope db, string ownerId, string? name, string? url, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT id, name, url, created_at FROM repositories WHERE owner_id = @o" +
                                             (name is null ? "" : " AND name = @n") + (url is null ? "" : " AND url = @u") +
                                             " ORDER BY name").Add("@o", ownerId);
        if (name is not null)
        {
            command.Add("@n", name);
        }

        if (url is not null)
        {
            command.Add("@u", url);
        }

        var list = new List<RepositoryDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Map(reader));
        }

        return list;
    }

    public static async Task<RepositoryDto?> GetAsync(DbScope db, string id, CancellationToken cancellationToken)
    {
        await using var command = db.Command("SELECT id, name, url, created_at FROM repositories WHERE id = @id").Add("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : null;
    }

    public static Task<int> DeleteAsync(WriteTransaction tx, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tx);
        return tx.Command("DELETE FROM repositories WHERE id = @id").Add("@id", id).ExecAsync(cancellationToken);
    }

    private static RepositoryDto Map(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetTime(3));
}
