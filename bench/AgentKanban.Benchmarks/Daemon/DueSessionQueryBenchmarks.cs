using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Store;
using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Benchmarks.Daemon;

/// <summary>
/// The due-session query on a store holding 10,000 sessions: mostly closed history, some waiting (half of them due),
/// a few running. Target: ≤ 2 ms. Run: <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --filter '*DueSession*'</c>.
/// </summary>
[MemoryDiagnoser]
public class DueSessionQueryBenchmarks
{
    private string _directory = string.Empty;
    private DaemonDatabase _database = null!;
    private SessionStore _store = null!;
    private DateTimeOffset _now;

    [Params(10_000)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _directory = Path.Combine(Path.GetTempPath(), "ak-bench-due-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(_directory);
        _database = await DaemonDatabase.OpenAsync(Path.Combine(_directory, "daemon.db"), CancellationToken.None);
        _store = new SessionStore(_database, TimeProvider.System);
        _now = TimeProvider.System.GetUtcNow();
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        await _database.TransactAsync(_now, async tx =>
        {
            for (var i = 0; i < Sessions; i++)
            {
                // 97 % closed history, 2 % waiting (half due, half later), 1 % running.
                (SessionState State, DateTimeOffset? Resume, DateTimeOffset? Closed) row = (i % 100) switch
                {
                    0 => (SessionState.RateLimited, _now.AddMinutes(-(i % 7) - 1), null),
                    1 => (SessionState.Suspended, _now.AddMinutes((i % 11) + 1), null),
                    2 => (SessionState.Active, null, null),
                    _ => (SessionState.Closed, null, _now.AddDays(-1)),
                };
                var (state, resume, closed) = row;
                var id = Guid.NewGuid().ToString();
                var session = new SessionRecord
                {
                    Id = id, TaskId = "task-" + i, AgentId = "agent", Runtime = "claude", State = state, Epoch = 1, ServerSessionId = id,
                    PrivateKey = privateKey, PublicKey = publicKey, ProviderSessionId = Guid.NewGuid().ToString(), ResumeAfter = resume,
                    DecidedAt = resume?.AddHours(-1), CreatedAt = _now.AddDays(-2), UpdatedAt = _now, ClosedAt = closed,
                    SystemPrompt = "protocol", TaskPrompt = "Task ID: task-" + i,
                };
                await using var insert = tx.Command(SessionRows.InsertSql);
                SessionRows.Bind(insert, session);
                await insert.ExecuteNonQueryAsync();
            }

            return true;
        }, CancellationToken.None);
        await using var connection = await _database.OpenReadAsync(CancellationToken.None);
        await using var analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _database.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The ids of the sessions whose resume time came (what the loop asks on every pass).</summary>
    [Benchmark]
    public Task<IReadOnlyList<string>> DueSessionIds() => _store.DueIdsAsync(_now, 256, CancellationToken.None);

    /// <summary>The same, with every due session read in full (50 rows here).</summary>
    [Benchmark]
    public Task<IReadOnlyList<SessionRecord>> DueSessionsFull() => _store.DueAsync(_now, 256, CancellationToken.None);

    /// <summary>When the resume timer must fire next.</summary>
    [Benchmark]
    public Task<DateTimeOffset?> NextResumeAt() => _store.NextResumeAtAsync(CancellationToken.None);
}
