using System.Data.Common;

namespace AgentKanban.Server.Streams;

/// <summary>How the streams reach the event log: a connection opener, and the PostgreSQL connection string for LISTEN (null on SQLite).</summary>
internal sealed record EventStreamDatabase(
    Func<CancellationToken, ValueTask<DbConnection>> OpenConnection,
    string? PostgresConnectionString);
