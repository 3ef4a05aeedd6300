namespace AgentKanban.Server.Storage;

/// <summary>Which database engine backs the board.</summary>
public enum StorageKind
{
    /// <summary>An embedded SQLite file (<c>DIR/ak.db</c>): one server process, one writer.</summary>
    Sqlite,

    /// <summary>A shared PostgreSQL database: any number of server instances.</summary>
    Postgres,
}
