namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>
/// xunit class fixture: one server per test class, on the engine <see cref="Kind"/> names. Test classes derive twice
/// from an abstract class of tests — once with <see cref="SqliteServerFixture"/>, once with
/// <see cref="PostgresServerFixture"/> — so every test runs on both engines.
/// </summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private TestServer? _server;

    public abstract DatabaseKind Kind { get; }

    public TestServer Server => _server ?? throw new InvalidOperationException("the fixture is not initialised");

    public async ValueTask InitializeAsync() => _server = await TestServer.StartAsync(Kind, cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class SqliteServerFixture : ServerFixture
{
    public override DatabaseKind Kind => DatabaseKind.Sqlite;
}

public sealed class PostgresServerFixture : ServerFixture
{
    public override DatabaseKind Kind => DatabaseKind.Postgres;
}
