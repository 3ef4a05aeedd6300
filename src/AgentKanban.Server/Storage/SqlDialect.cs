namespace AgentKanban.Server.Storage;

/// <summary>The handful of SQL spellings that differ between SQLite and PostgreSQL.</summary>
public sealed record SqlDialect
{
    public static readonly SqlDialect Sqlite = new()
    {
        Kind = StorageKind.Sqlite,
        JoinSeparated = "group_concat({0}, char(31))",
        ForShare = "",
        ForUpdate = "",
    };

    public static readonly SqlDialect Postgres = new()
    {
        Kind = StorageKind.Postgres,
        JoinSeparated = "string_agg({0}, chr(31))",
        ForShare = " FOR SHARE",
        ForUpdate = " FOR UPDATE",
    };

    public required StorageKind Kind { get; init; }

    /// <summary>Aggregate joining a text column with U+001F (format with the column expression).</summary>
    public required string JoinSeparated { get; init; }

    /// <summary>Row lock suffix for a SELECT that must keep the row from changing until commit (PostgreSQL only;
    /// SQLite's single writer already serialises).</summary>
    public required string ForShare { get; init; }

    public required string ForUpdate { get; init; }
}
