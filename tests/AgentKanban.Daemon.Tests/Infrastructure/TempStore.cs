using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>A daemon store in a fresh temp file, with a fake clock; reopen it to simulate a restart.</summary>
public sealed class TempStore : IAsyncDisposable
{
    private static readonly (string Private, string Public) Keys = SessionToken.GenerateKeyPair();

    private TempStore(string directory, DaemonDatabase database, FakeTimeProvider time)
    {
        Directory_ = directory;
        Database = database;
        Time = time;
        Sessions = new SessionStore(database, time);
    }

    public string Directory_ { get; }
    public string Path => System.IO.Path.Combine(Directory_, "daemon.db");
    public DaemonDatabase Database { get; private set; }
    public SessionStore Sessions { get; private set; }
    public FakeTimeProvider Time { get; }

    public static async Task<TempStore> CreateAsync()
    {
        var directory = TestPaths.NewTempDirectory("store");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var database = await DaemonDatabase.OpenAsync(System.IO.Path.Combine(directory, "daemon.db"), CancellationToken.None);
        return new TempStore(directory, database, time);
    }

    /// <summary>Closes the file and opens it again, as a restarted daemon would.</summary>
    public async Task ReopenAsync()
    {
        await Database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Database = await DaemonDatabase.OpenAsync(Path, CancellationToken.None);
        Sessions = new SessionStore(Database, Time);
    }

    public static SessionRecord NewSession(string? taskId = null, SessionState state = SessionState.Preparing, string runtime = "claude")
    {
        var id = Guid.NewGuid().ToString();
        return new SessionRecord
        {
            Id = id,
            TaskId = taskId ?? "task-" + id[..8],
            AgentId = "agent-1",
            Runtime = runtime,
            State = state,
            Epoch = 1,
            ServerSessionId = id,
            PrivateKey = Keys.Private,
            PublicKey = Keys.Public,
            ProviderSessionId = Guid.NewGuid().ToString(),
            TaskPrompt = "do it",
            CreatedAt = DateTimeOffset.UnixEpoch,
        };
    }

    public async Task<SessionRecord> InsertAsync(SessionRecord session) => await Sessions.InsertAsync(session, null, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        TestPaths.DeleteQuietly(Directory_);
    }
}
