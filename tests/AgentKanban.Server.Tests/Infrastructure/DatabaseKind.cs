namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>The two storage engines every server test runs against.</summary>
public enum DatabaseKind
{
    Sqlite,
    Postgres,
}
