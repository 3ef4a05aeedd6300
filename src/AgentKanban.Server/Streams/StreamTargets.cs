using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Streams;

/// <summary>Finds the board, task or machine a stream is about, within the caller's owner (anything else is 404).</summary>
internal sealed class StreamTargets(IStorageEngine storage)
{
    /// <summary>The resource's id, or null when the owner has no such resource. Boards are found by id or by name.</summary>
    public async Task<string?> FindAsync(StreamKind kind, string ownerId, string idOrName, CancellationToken cancellationToken)
    {
        var sql = kind switch
        {
            StreamKind.Board =>
                "SELECT id FROM boards WHERE owner_id = @owner AND (id = @key OR name = @key) " +
                "ORDER BY CASE WHEN id = @key THEN 0 ELSE 1 END LIMIT 1",
            StreamKind.Task => "SELECT id FROM tasks WHERE owner_id = @owner AND id = @key",
            StreamKind.Machine => "SELECT id FROM machines WHERE owner_id = @owner AND id = @key",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var connection = await storage.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var found = await connection.Command(sql)
                .Add("@owner", ownerId)
                .Add("@key", idOrName)
                .ScalarAsync(cancellationToken)
                .ConfigureAwait(false);
            return found as string;
        }
    }
}
